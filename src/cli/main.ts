// The `stagewall` command line: thin commands over the engine and the adapters.
// Each command imports what it uses when it runs (`await import(...)`), so start-up costs only
// commander: the cluster client is loaded for --cluster and serve alone, the server stack for
// serve and certs alone (test/cli/import-graph.test.ts guards this, bench/cli-start.ts times it).
import { Command, CommanderError, Option } from 'commander';
import type { StagewallConfig } from '../config/model.js';
import { isStagewallError, StagewallError } from '../errors.js';
import { VERSION } from '../version.js';
import { processIo, type CliIo } from './io.js';
import type { CheckReport, FailOn } from './check.js';
import { CHECK_FORMATS, FAIL_ON, GRAPH_FORMATS, type CheckFormat, type GraphFormat } from './formats.js';
import type { CertsCommandOptions, ServeCommandOptions } from './serve.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../defaults.js';

export const DEFAULT_CONFIG = process.env['STAGEWALL_CONFIG'] ?? 'stagewall.yaml';

/** Exit codes of every command: 0 fine, 1 failures (denials; with check --fail-on warn, warnings too), 2 bad input, config or usage, or (check) no objects at all. */
export const EXIT = { ok: 0, denied: 1, badInput: 2 } as const;

/** The options of the commands that judge manifests against a view: check and graph. */
interface ViewOptions {
  readonly config: string;
  readonly namespace: string;
  readonly ignoreUnknown: boolean;
  readonly cluster: boolean;
  readonly kubeconfig?: string;
  readonly context?: string;
}

function withViewOptions(command: Command, verb: string): Command {
  return command
    .option('-c, --config <file>', 'stagewall config', DEFAULT_CONFIG)
    .option('-n, --namespace <ns>', 'namespace of objects that name none', 'default')
    .option('--ignore-unknown', 'skip custom resources and other unknown kinds instead of failing', false)
    .option('--cluster', `${verb} against a snapshot of the live cluster's Namespaces and NetworkPolicies, with the manifests applied on top`, false)
    .option('--kubeconfig <file>', 'kubeconfig for --cluster (default: $KUBECONFIG, ~/.kube/config, in-cluster); implies --cluster')
    .option('--context <name>', 'kubeconfig context for --cluster (default: the current one); implies --cluster');
}

/**
 * The config, the manifests and, with --cluster (or --kubeconfig / --context), the live cluster's
 * objects, said on stderr. The manifests are read first: bad input is named before the cluster is
 * asked anything.
 */
async function viewInputs(paths: readonly string[], opts: ViewOptions, io: CliIo) {
  const [{ loadConfigFile }, { loadManifests }] = await Promise.all([import('../config/load.js'), import('../manifests/load.js')]);
  const config = loadConfigFile(opts.config);
  const objects = loadManifests(paths, { ignoreUnknown: opts.ignoreUnknown, stdin: io.readStdin });
  if (!opts.cluster && opts.kubeconfig === undefined && opts.context === undefined) return { config, objects, live: [] };
  const { loadKubeConfigChoice, readClusterSnapshot } = await import('../cluster/snapshot.js');
  const snapshot = await readClusterSnapshot(loadKubeConfigChoice(opts));
  for (const { policy, reason } of snapshot.skipped) io.err(`stagewall: warning: skipping NetworkPolicy ${policy} of the cluster: ${reason}`);
  const skipped = snapshot.skipped.length > 0 ? `, ${snapshot.skipped.length} skipped` : '';
  io.err(
    `stagewall: view: the cluster at ${snapshot.server} (${snapshot.namespaces} namespaces, ${snapshot.policies} NetworkPolicies${skipped}), with the manifests applied on top`,
  );
  return { config, objects, live: snapshot.objects };
}

/** Each report format imports its own renderer. */
async function renderCheck(report: CheckReport, config: StagewallConfig, format: CheckFormat, color: boolean): Promise<string> {
  switch (format) {
    case 'text':
      return (await import('./report/text.js')).renderText(report, color);
    case 'json':
      return (await import('./report/json.js')).renderJson(report);
    case 'junit':
      return (await import('./report/junit.js')).renderJunit(report);
    case 'sarif':
      return (await import('./report/sarif.js')).renderSarif(report);
    case 'markdown': {
      const [{ renderMarkdown }, { stageFlow }] = await Promise.all([import('./report/markdown.js'), import('../engine/index.js')]);
      return renderMarkdown(report, config, stageFlow(config, report.view));
    }
  }
}

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('stagewall')
    .description('Keeps pipeline stages inside their NetworkPolicies: admission webhook and CI linter.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nFrom a clone, after npm ci: npx stagewall <command> (but npx stagewall version, since npx takes --version itself), or node bin/stagewall.js <command>. npm install -g . or npm link puts stagewall on PATH.',
    );

  withViewOptions(
    program
      .command('check')
      .description('judge manifests (files, folders, - for stdin) as CREATE against a view made of them')
      .argument('<paths...>', 'files or folders of YAML/JSON manifests, or - for stdin'),
    'judge',
  )
    .addOption(
      new Option('-o, --output <format>', 'report format (markdown: for a pull-request comment or $GITHUB_STEP_SUMMARY)')
        .choices([...CHECK_FORMATS])
        .default('text'),
    )
    .addOption(new Option('--fail-on <severity>', 'what makes the exit code 1: denials, or warnings too').choices([...FAIL_ON]).default('deny'))
    .option('--allow-empty', 'exit 0 on input without any object (otherwise exit 2: an empty file is usually a failed step before)', false)
    .action(async (paths: string[], opts: ViewOptions & { output: CheckFormat; failOn: FailOn; allowEmpty: boolean }) => {
      const { config, objects, live } = await viewInputs(paths, opts, io);
      if (objects.length === 0 && !opts.allowEmpty) {
        throw new StagewallError(
          'MANIFEST_EMPTY',
          `no objects in ${paths.map((p) => (p === '-' ? 'stdin' : p)).join(', ')}: empty, or only comments and ---; a step that was to write them may have failed (pass --allow-empty if nothing is expected)`,
        );
      }
      const { checkObjects, exitCodeOf } = await import('./check.js');
      const report = checkObjects(objects, config, opts.namespace, live, opts.failOn);
      io.out(await renderCheck(report, config, opts.output, io.color));
      setExit(exitCodeOf(report));
    });

  program
    .command('version')
    .description("print the version (as --version does; `npx stagewall --version` prints npm's own)")
    .action(() => {
      io.out(VERSION);
    });

  program
    .command('schema')
    .description("print the config's JSON Schema (what stagewall.schema.json holds), for editors and other tools")
    .action(async () => {
      const { configJsonSchemaText } = await import('../config/schema.js');
      io.out(configJsonSchemaText());
    });

  program
    .command('rules')
    .description('list the rule catalog')
    .addOption(new Option('-o, --output <format>', 'format').choices(['text', 'json', 'markdown']).default('text'))
    .action(async (opts: { output: 'text' | 'json' | 'markdown' }) => {
      const { renderRules } = await import('./rules.js');
      io.out(renderRules(opts.output));
    });

  program
    .command('generate')
    .description('write the per-stage NetworkPolicies that allow exactly the declared flow')
    .option('-c, --config <file>', 'stagewall config', DEFAULT_CONFIG)
    .option('-p, --pipeline <name>', 'only this pipeline')
    .option('-n, --namespace <ns>', 'put every stage in this namespace instead of its configured one')
    .option('--out <dir>', 'write one file per namespace into this folder instead of stdout')
    .action(async (opts: { config: string; pipeline?: string; namespace?: string; out?: string }) => {
      const [{ loadConfigFile }, { runGenerate }] = await Promise.all([import('../config/load.js'), import('./generate.js')]);
      const result = runGenerate(loadConfigFile(opts.config), opts);
      if (result.text !== undefined) io.out(result.text);
      for (const file of result.files ?? []) io.err(`wrote ${file}`);
    });

  withViewOptions(
    program
      .command('graph')
      .description('draw each pipeline: the declared flow against what the policies in the manifests allow (blocked edges, backdoors)')
      .argument('[paths...]', 'files or folders of YAML/JSON manifests, or - for stdin (none: the declared flow alone)'),
    'draw',
  )
    .addOption(new Option('-f, --format <format>', 'output format').choices([...GRAPH_FORMATS]).default('mermaid'))
    .action(async (paths: string[], opts: ViewOptions & { format: GraphFormat }) => {
      const { config, objects, live } = await viewInputs(paths, opts, io);
      const { graphObjects, renderGraph } = await import('./graph.js');
      io.out(renderGraph(graphObjects(objects, config, opts.namespace, live), config, opts.format));
    });

  program
    .command('connectivity')
    .description(
      "list every allowed connection between the manifests' workloads and the IP ranges outside the cluster (txt and json as netpol-analyzer's list)",
    )
    .argument('[paths...]', 'files or folders of YAML/JSON manifests, or - for stdin')
    .option('-c, --config <file>', 'stagewall config: tag pipeline workloads with their stage and mark undeclared stage-to-stage connections as backdoors')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['txt', 'json', 'csv', 'md', 'dot', 'mermaid']).default('txt'))
    .option('--focus <ns/name>', 'only the connections of this workload (NS/NAME or NS/NAME[Kind])')
    .option('-n, --namespace <ns>', 'namespace of objects that name none', 'default')
    .option('--ignore-unknown', 'skip custom resources and other unknown kinds instead of failing', false)
    .option('--cluster', "list against a snapshot of the live cluster's Namespaces and NetworkPolicies, with the manifests applied on top", false)
    .option('--kubeconfig <file>', 'kubeconfig for --cluster (default: $KUBECONFIG, ~/.kube/config, in-cluster); implies --cluster')
    .option('--context <name>', 'kubeconfig context for --cluster (default: the current one); implies --cluster')
    .action(async (paths: string[], opts: import('./connectivity.js').ConnectivityOptions) => {
      const { runConnectivity } = await import('./connectivity.js');
      setExit(await runConnectivity(paths, opts, io));
    });

  program
    .command('serve')
    .description('run the admission webhook (HTTPS) and the metrics port')
    .option('-c, --config <file>', 'stagewall config (reloaded on change)', DEFAULT_CONFIG)
    .option('--tls-cert <file>', 'serving certificate (reloaded on change)', process.env['STAGEWALL_TLS_CERT'])
    .option('--tls-key <file>', 'serving key', process.env['STAGEWALL_TLS_KEY'])
    .option('--client-ca <file>', "require a client certificate signed by a CA in this PEM bundle (the API server's, see the install docs); reloaded on change")
    .option('--port <n>', 'HTTPS port of the webhook', '8443')
    .option('--metrics-port <n>', 'plain HTTP port of /metrics, /healthz and /readyz', '9090')
    .option('--host <addr>', 'address to listen on (default: every address)')
    .option('--view <path>', 'judge against manifests under PATH instead of the cluster')
    .option('--embedded', 'serve the examples: their config and view, certificates made in certs/', false)
    .option('--certs <dir>', 'folder of tls.crt and tls.key (and where --embedded makes them)')
    .option('-n, --namespace <ns>', "stagewall's own namespace, never judged", process.env['POD_NAMESPACE'] ?? 'stagewall-system')
    // The cluster view's kubeconfig, as check --cluster takes it.
    .option('--kubeconfig <file>', 'kubeconfig of the cluster view (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context of the cluster view (default: the current one)')
    // Self-managed certificates.
    .option(
      '--manage-certs',
      'keep the CA and serving certificate in Secret --tls-secret and the CA in the caBundle of the --webhook-config webhooks, rotating both before expiry (instead of --tls-cert/--tls-key)',
      false,
    )
    .option('--tls-secret <name>', 'with --manage-certs: the Secret in --namespace that holds the CA and the serving certificate', 'stagewall-tls')
    .option('--webhook-config <name>', 'with --manage-certs: the Validating- and MutatingWebhookConfiguration whose caBundle stagewall writes', 'stagewall')
    .option('--service <name>', 'with --manage-certs: the Service in --namespace that the serving certificate names', 'stagewall')
    .option('--cert-dns <name...>', 'with --manage-certs: extra DNS names or IP addresses of the serving certificate', [])
    .option('--cert-validity <duration>', 'with --manage-certs: lifetime of the serving certificate (e.g. 1y, 720h, 2m); the CA lives twice as long', '1y')
    .option('--log-level <level>', 'trace, debug, info, warn or error', process.env['LOG_LEVEL'] ?? 'info')
    .option('--shutdown-delay <ms>', 'on SIGTERM, report not-ready and keep serving this long (every answer with Connection: close) before closing', '0')
    .option(
      '--shutdown-timeout <ms>',
      "then wait at most this long for requests in flight; keep delay + timeout below the pod's terminationGracePeriodSeconds",
      String(DEFAULT_SHUTDOWN_TIMEOUT_MS),
    )
    .action(async (opts: ServeCommandOptions) => {
      const { runServe } = await import('./serve.js');
      await runServe(opts, io);
    });

  program
    .command('certs')
    .description('write a CA and a serving certificate signed by it: ca.crt, tls.crt, tls.key')
    .requiredOption('--out <dir>', 'folder to write into')
    .option('--service <name>', 'the webhook Service', 'stagewall')
    .option('-n, --namespace <ns>', "the Service's namespace", 'stagewall-system')
    .option('--dns <name...>', 'extra DNS names or IP addresses', [])
    .option('--days <n>', 'validity of the serving certificate', '365')
    .action(async (opts: CertsCommandOptions) => {
      const { runCerts } = await import('./serve.js');
      await runCerts(opts, io);
    });

  return program;
}

/** Runs the CLI and returns its exit code; never throws for user errors. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    if (isStagewallError(err)) {
      io.err(`stagewall: error ${err.code}: ${err.describe()}`);
      return EXIT.badInput;
    }
    io.err(`stagewall: internal error: ${(err as Error).message ?? String(err)}`);
    if (process.env['STAGEWALL_DEBUG']) io.err(String((err as Error).stack));
    return EXIT.badInput;
  }
}
