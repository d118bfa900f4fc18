/** The routing config of an app without routing files. */
import { DEFAULT_ROUTING_DEFAULTS, type RoutingConfig, type RoutingDefaults } from './route-config';
import { validateRoutingDefaults } from './validate-routing-defaults';

/**
 * A routing config with no queue files: every task goes to the default queue. `defaults` are
 * validated like in-code options: keys set to `undefined` keep their built-in value, except
 * `maxPriority`, where `undefined` (like `0`) means no priority.
 * @throws ConfigError if a default is invalid
 */
export function emptyRoutingConfig(defaults: Partial<RoutingDefaults> = {}): RoutingConfig {
  const validated = validateRoutingDefaults(defaults, 'routing defaults', DEFAULT_ROUTING_DEFAULTS);
  return { defaults: validated, queues: [], sources: [] };
}
