import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubUser {
  id: number;
  login: string;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

interface Grant {
  user: GitHubUser;
  clientId: string;
  redirectUri: string;
  codeChallenge: string | undefined;
}

/**
 * A GitHub-compatible OAuth server for tests: `/login/oauth/authorize` (signs in `nextUser` at
 * once and redirects back with a code), `/login/oauth/access_token` (checks client, redirect URI
 * and the PKCE verifier), and the REST API's `/user` and `/user/emails`. Serve both GITHUB_URL
 * and GITHUB_API_URL from `url` (as GitHub Enterprise does under /api/v3: use `apiUrl`).
 */
export class GitHubPeer {
  nextUser: GitHubUser | undefined;
  /** Token requests, as received (form fields), for tests to look at. */
  readonly tokenRequests: Record<string, string>[] = [];
  /** How many of the next token requests answer 502, as GitHub does in an outage. */
  outages = 0;
  private readonly codes = new Map<string, Grant>();
  private readonly tokens = new Map<string, GitHubUser>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly clientId: string,
    readonly clientSecret: string,
  ) {}

  get apiUrl(): string {
    return `${this.url}/api/v3`;
  }

  static async start(): Promise<GitHubPeer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const peer = new GitHubPeer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, `Iv1.${randomBytes(8).toString('hex')}`, randomBytes(20).toString('hex'));
    server.on('request', (req, res) => {
      peer.handle(req, res).catch((error: Error) => res.writeHead(500).end(error.message));
    });
    return peer;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const redirectUri = url.searchParams.get('redirect_uri');
      if (url.searchParams.get('client_id') !== this.clientId || !redirectUri) return json(400, { error: 'invalid_client' });
      if (!this.nextUser) return json(401, { error: 'nobody is signed in at GitHub' });
      const code = randomBytes(10).toString('hex');
      const challenge = url.searchParams.get('code_challenge') ?? undefined;
      if (challenge && url.searchParams.get('code_challenge_method') !== 'S256') return json(400, { error: 'invalid_request' });
      this.codes.set(code, { user: this.nextUser, clientId: this.clientId, redirectUri, codeChallenge: challenge });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      const state = url.searchParams.get('state');
      if (state) back.searchParams.set('state', state);
      res.writeHead(302, { location: back.href }).end();
      return;
    }

    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const fields = Object.fromEntries(new URLSearchParams(await body(req)));
      const basic = req.headers.authorization?.startsWith('Basic ') ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString().split(':').map(decodeURIComponent) : [];
      const [clientId, clientSecret] = basic.length === 2 ? basic : [fields.client_id, fields.client_secret];
      this.tokenRequests.push(fields);
      if (this.outages > 0) {
        this.outages--;
        return json(502, { message: 'Server Error' });
      }
      // As GitHub does: a refused exchange is still 200, with an `error` in the body.
      if (clientId !== this.clientId || clientSecret !== this.clientSecret) return json(200, { error: 'incorrect_client_credentials' });
      const grant = fields.code ? this.codes.get(fields.code) : undefined;
      if (!grant || grant.redirectUri !== fields.redirect_uri) return json(200, { error: 'bad_verification_code' });
      this.codes.delete(fields.code);
      if (grant.codeChallenge) {
        const verifier = fields.code_verifier;
        if (!verifier || createHash('sha256').update(verifier).digest('base64url') !== grant.codeChallenge) return json(200, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
      }
      const token = `gho_${randomBytes(18).toString('hex')}`;
      this.tokens.set(token, grant.user);
      return json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
    }

    const user = this.tokens.get(req.headers.authorization?.replace(/^Bearer /, '') ?? '');
    if (req.method === 'GET' && (url.pathname === '/api/v3/user' || url.pathname === '/api/v3/user/emails')) {
      if (!user) return json(401, { message: 'Bad credentials' });
      return url.pathname.endsWith('/emails') ? json(200, user.emails) : json(200, { id: user.id, login: user.login, name: user.login });
    }
    json(404, { message: 'Not Found' });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
