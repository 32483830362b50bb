import { freePort, runNode, type RunningProcess } from '../support/processes';

/** A mail as aws-ses-v2-local keeps it (`GET /store`). */
export interface SesStoredEmail {
  messageId: string;
  from: string;
  replyTo: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  /** Epoch seconds. */
  at: number;
}

/**
 * A local SES-compatible endpoint: aws-ses-v2-local (SES v1 `SendEmail`, v2 `outbound-emails`)
 * in its own process on a free port, so each peer has its own store and a crash cannot take
 * the test runner with it. Point SES_ENDPOINT at `url`; any AWS credentials are accepted.
 */
export class SesPeer {
  private constructor(
    private readonly child: RunningProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<SesPeer> {
    // The package's server function, not its CLI: the CLI's argument parser (yargs 18) is
    // ES-module-only and would need Node 20.19 or later.
    const entry = require.resolve('aws-ses-v2-local');
    let lastOutput = '';
    // The port was free a moment ago; another process may take it before the child binds it.
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const script = `require(${JSON.stringify(entry)}).default({ host: '127.0.0.1', port: ${port} }).catch((e) => { console.error(e); process.exit(1); });`;
      const child = runNode('-e', {}, [script]);
      const url = `http://127.0.0.1:${port}`;
      if (await ready(url, child)) return new SesPeer(child, url);
      lastOutput = child.output();
      await child.stop('SIGKILL');
    }
    throw new Error(`aws-ses-v2-local did not start:\n${lastOutput.slice(-2000)}`);
  }

  /** Every mail sent so far, oldest first. */
  async emails(): Promise<SesStoredEmail[]> {
    const res = await fetch(`${this.url}/store`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`GET /store answered ${res.status}`);
    return ((await res.json()) as { emails: SesStoredEmail[] }).emails;
  }

  async clear(): Promise<void> {
    const res = await fetch(`${this.url}/clear-store`, { method: 'POST', signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`POST /clear-store answered ${res.status}`);
    await res.arrayBuffer();
  }

  async stop(): Promise<void> {
    await this.child.stop();
  }
}

async function ready(url: string, child: RunningProcess, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.child.exitCode !== null || child.child.signalCode !== null) return false;
    try {
      const res = await fetch(`${url}/health-check`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
