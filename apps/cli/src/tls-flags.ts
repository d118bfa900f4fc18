import type { AppOverrides } from '@taskq/core';

/** The `--tls-ca`, `--tls-cert`, `--tls-key` flags as commander parses them. */
export interface TlsFlags {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** The app override for the TLS flags that were given (nothing when none was). */
export function tlsOverride(flags: TlsFlags): Pick<AppOverrides, 'tls'> {
  if (!flags.tlsCa && !flags.tlsCert && !flags.tlsKey) return {};
  return {
    tls: {
      ...(flags.tlsCa ? { ca: flags.tlsCa } : {}),
      ...(flags.tlsCert ? { cert: flags.tlsCert } : {}),
      ...(flags.tlsKey ? { key: flags.tlsKey } : {}),
    },
  };
}
