import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRoutesCommand } from '../../src/commands/routes-command';

describe('taskq routes: queue types and priority bands', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskq-routes-quorum-'));
    writeFileSync(join(dir, 'orders.yaml'), 'queueType: quorum\nmaxPriority: 9\nexchange: shop\ntasks: ["orders.*"]\n');
    writeFileSync(join(dir, 'mail.yaml'), 'queueType: quorum\ndeliveryLimit: 5\ntasks: ["mail.*"]\n');
    writeFileSync(join(dir, 'reports.yaml'), 'tasks: ["reports.*"]\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const routes = async (...tasks: string[]): Promise<string> => {
    let text = '';
    expect(await runRoutesCommand(tasks, { config: dir }, (s) => (text += s))).toBe(0);
    return text;
  };

  it('shows a banded quorum queue and where each band goes', async () => {
    expect(await routes('orders.pay')).toContain(
      [
        '  queue:       orders (quorum, delivery limit 20, 3 priority bands), durable',
        '  bands:       priority 0-3 → orders (through shop)',
        '               priority 4-6 → orders.p4-6 (by name on the default exchange)',
        '               priority 7-9 → orders.p7-9 (by name on the default exchange)',
        '  why:',
      ].join('\n'),
    );
  });

  it('shows the type of quorum and classic queues without bands', async () => {
    const text = await routes('mail.send', 'reports.daily');
    expect(text).toContain('  queue:       mail (quorum, delivery limit 5, no priority), durable\n  why:');
    expect(text).toContain('  queue:       reports (classic, max priority 10), durable\n  why:');
  });
});
