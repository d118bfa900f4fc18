import { optimalStringAlignment, similarNames } from '../../../src/routing/similar-names';
import { unknownQueueWarning, type KnownQueues } from '../../../src/routing';

describe('similarNames', () => {
  it('matches names that differ only in separators and case', () => {
    expect(similarNames('nc_q', ['nc-q', 'other'])).toEqual(['nc-q']);
    expect(similarNames('Reports.Daily', ['reports-daily', 'reports'])).toEqual(['reports-daily']);
    expect(similarNames('EMAILS', ['emails'])).toEqual(['emails']);
  });

  it('allows typos in proportion to the length: none up to 3 characters, one up to 7, two from 8', () => {
    expect(similarNames('celry', ['celery'])).toEqual(['celery']);
    expect(similarNames('hihg', ['high'])).toEqual(['high']); // an adjacent swap is one edit
    expect(similarNames('q1', ['q2'])).toEqual([]);
    expect(similarNames('abc', ['abd'])).toEqual([]);
    expect(similarNames('reports', ['imports'])).toEqual([]); // two edits in 7 characters
    expect(similarNames('notifcatons', ['notifications'])).toEqual(['notifications']);
  });

  it('lists the closest first, at most three, and never the name itself', () => {
    expect(similarNames('mail', ['mail', 'maill', 'Mail', 'main', 'nail', 'sail'])).toEqual(['Mail', 'maill', 'main']);
    expect(similarNames('a-b', ['a_b', 'a.b', 'ab'])).toEqual(['a.b', 'a_b']);
  });
});

describe('optimalStringAlignment', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['ab', 'ba', 1],
    ['ca', 'abc', 3], // no substring is edited twice (true Damerau–Levenshtein says 2)
  ])('%j → %j is %i', (a, b, expected) => {
    expect(optimalStringAlignment(a, b)).toBe(expected);
  });
});

describe('unknownQueueWarning', () => {
  const withFiles: KnownQueues = {
    defined: ['nc-q', 'emails'],
    routedTo: ['emails'],
    builtIn: ['celery', 'taskq.dead'],
    hasRoutingFiles: true,
  };
  const noFiles: KnownQueues = { defined: [], routedTo: ['celery'], builtIn: ['celery', 'taskq.dead'], hasRoutingFiles: false };

  it('names the close match of a queue the routing files do not define', () => {
    expect(unknownQueueWarning('nc_q', withFiles)).toBe(
      "Queue 'nc_q' is not defined in the routing files and no task routes to it; did you mean 'nc-q'?",
    );
  });

  it('says so without a suggestion when routing files are configured and nothing is close', () => {
    expect(unknownQueueWarning('audit', withFiles)).toBe(
      "Queue 'audit' is not defined in the routing files and no task routes to it; only tasks sent with { queue: 'audit' } will arrive there.",
    );
  });

  it('is silent for a defined queue, one a task routes to, and the built-in queues', () => {
    for (const queue of ['nc-q', 'emails', 'celery', 'taskq.dead']) expect(unknownQueueWarning(queue, withFiles)).toBeUndefined();
    expect(unknownQueueWarning('reports', { ...withFiles, routedTo: ['reports'] })).toBeUndefined();
  });

  it('without routing files: silent for the default queue and for a deliberate queue, a hint for a typo of a known one', () => {
    expect(unknownQueueWarning('celery', noFiles)).toBeUndefined();
    expect(unknownQueueWarning('test.cli.1234abcd', noFiles)).toBeUndefined();
    expect(unknownQueueWarning('celry', noFiles)).toBe(
      "Queue 'celry' is not a known queue (no routing files are configured) and no task routes to it; did you mean 'celery'?",
    );
  });
});
