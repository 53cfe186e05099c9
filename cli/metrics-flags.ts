// The flags that guard a process's metrics port, shared by `controller`,
// `worker` and `up`: a bearer token for /metrics (from the environment by
// default, so it need not appear in ps) and a certificate for HTTPS. Where
// the port listens is each command's own flag (--metrics-host on the
// controller, --listen-host on the worker); both default to loopback.
import { Option, type Command } from 'commander';

export interface MetricsFlags {
  metricsToken?: string;
  metricsTlsCert?: string;
  metricsTlsKey?: string;
}

export function addMetricsFlags(cmd: Command, env: Record<string, string | undefined>): Command {
  return cmd
    .addOption(
      new Option('--metrics-token <token>', 'bearer token /metrics needs; /healthz and /readyz stay open (env PUNCTUAL_METRICS_TOKEN)').default(env.PUNCTUAL_METRICS_TOKEN || undefined, 'env'),
    )
    .option('--metrics-tls-cert <file>', 'TLS certificate chain (PEM): serve /metrics over HTTPS')
    .option('--metrics-tls-key <file>', 'TLS private key (PEM) for --metrics-tls-cert');
}
