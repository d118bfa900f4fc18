/**
 * AMQP topic matching, as RabbitMQ's topic exchange does it: keys are words separated by `.`,
 * in a binding key `*` matches exactly one word and `#` zero or more words. An empty key has zero
 * words, so `''` is matched by `''` and `#` only.
 */

/** Whether a message published with `routingKey` reaches a queue bound with `bindingKey`. */
export function topicMatches(bindingKey: string, routingKey: string): boolean {
  const pattern = words(bindingKey);
  const key = words(routingKey);
  // can[j] = pattern[i..] matches key[j..]; filled from the end so the walk is O(words²), never exponential.
  let next: boolean[] = Array.from({ length: key.length + 1 }, (_, j) => j === key.length);
  for (let i = pattern.length - 1; i >= 0; i--) {
    const word = pattern[i];
    const can: boolean[] = new Array<boolean>(key.length + 1).fill(false);
    for (let j = key.length; j >= 0; j--) {
      if (word === '#') {
        // Either `#` matches no more words, or it swallows key[j] and stays.
        can[j] = (next[j] ?? false) || (j < key.length && (can[j + 1] ?? false));
      } else if (j < key.length) {
        can[j] = (word === '*' || word === key[j]) && (next[j + 1] ?? false);
      }
    }
    next = can;
  }
  return next[0] ?? false;
}

/** Whether a binding key contains topic wildcards (`*` or `#` as a word). */
export function hasTopicWildcard(bindingKey: string): boolean {
  return words(bindingKey).some((w) => w === '*' || w === '#');
}

function words(key: string): string[] {
  return key === '' ? [] : key.split('.');
}
