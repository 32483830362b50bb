import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as samlify from 'samlify';
import { selfSignedCertificate, type KeyAndCertificate } from '@latchkey/security';

// The peer builds responses, it does not need samlify to schema-check what it parses.
samlify.setSchemaValidator({ validate: () => Promise.resolve('skipped') });

export interface IdpUser {
  email: string;
  /** NameID; the email when absent. */
  nameId?: string;
  attributes?: Record<string, string | string[]>;
}

/** Values a test may bend to build a response an SP must refuse. */
export interface ResponseOptions {
  requestId?: string | null;
  destination?: string;
  recipient?: string;
  audience?: string;
  issuer?: string;
  /** Shift every timestamp by this many milliseconds (negative: in the past). */
  shiftMs?: number;
  /** Lifetime of the assertion. */
  validForMs?: number;
  /** 'none' leaves the assertion unsigned. */
  sign?: 'assertion' | 'none';
  /** false: InResponseTo only on the (unsigned) Response, not in the signed SubjectConfirmationData. */
  confirmationInResponseTo?: boolean;
  /** false: no NotOnOrAfter on the Conditions (the confirmation's own still applies). */
  conditionsNotOnOrAfter?: boolean;
  /** The Response's top-level StatusCode (Success by default). */
  status?: string;
}

export interface ParsedAuthnRequest {
  id: string;
  issuer: string;
  acsUrl: string;
  relayState: string | undefined;
}

const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A SAML 2.0 IdP for tests, built on samlify: it checks the SP's signed AuthnRequests
 * (HTTP-Redirect) and answers with responses whose assertions it signs with its own key
 * (HTTP-POST, the auto-submitting form a real IdP sends to the browser).
 *
 * `GET /sso?SAMLRequest=…` logs in `nextUser` and answers the form; tests can also build
 * responses directly (`response`) with bent values for attack tests.
 */
export class SamlIdpPeer {
  nextUser: IdpUser | undefined;
  /** AuthnRequests received, newest last. */
  readonly requests: ParsedAuthnRequest[] = [];
  private sp: ReturnType<typeof samlify.ServiceProvider> | undefined;

  private constructor(
    readonly entityId: string,
    readonly credentials: KeyAndCertificate,
    private readonly idp: ReturnType<typeof samlify.IdentityProvider>,
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(name = 'test-idp'): Promise<SamlIdpPeer> {
    const credentials = await selfSignedCertificate(name, new Date(Date.now() - 86_400_000), 30);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const entityId = `${url}/metadata`;
    const idp = samlify.IdentityProvider({
      entityID: entityId,
      privateKey: credentials.privateKey,
      signingCert: credentials.certificate,
      wantAuthnRequestsSigned: true,
      singleSignOnService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: `${url}/sso` }],
      singleLogoutService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: `${url}/slo` }],
      nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
    });
    const peer = new SamlIdpPeer(entityId, credentials, idp, server, url);
    server.on('request', (req, res) => {
      peer.handle(req.url ?? '/').then(
        (html) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html),
        (error: Error) => res.writeHead(400, { 'content-type': 'text/plain' }).end(error.message),
      );
    });
    return peer;
  }

  /** Trusts this SP (its metadata XML, as served at /auth/saml/:identifier/metadata). */
  trust(spMetadata: string): void {
    this.sp = samlify.ServiceProvider({ metadata: spMetadata });
  }

  /** Checks an SP-initiated redirect URL's AuthnRequest (signature included) and returns it. */
  async parseRequest(requestUrl: string): Promise<ParsedAuthnRequest> {
    if (!this.sp) throw new Error('no SP trusted yet');
    const url = new URL(requestUrl);
    const query = Object.fromEntries(url.searchParams);
    // The signature covers the parameters exactly as they were encoded in the URL.
    const raw = new Map(url.search.slice(1).split('&').map((pair) => [pair.slice(0, pair.indexOf('=')), pair]));
    const octetString = ['SAMLRequest', 'RelayState', 'SigAlg'].filter((k) => raw.has(k)).map((k) => raw.get(k)).join('&');
    const parsed = await this.idp.parseLoginRequest(this.sp, 'redirect', { query, octetString });
    const request = parsed.extract.request as { id: string; assertionConsumerServiceUrl: string };
    const result = { id: request.id, issuer: parsed.extract.issuer as string, acsUrl: request.assertionConsumerServiceUrl, relayState: query.RelayState };
    this.requests.push(result);
    return result;
  }

  /** A base64 SAMLResponse for `user`, signed as a compliant IdP would unless `options` bend it. */
  async response(user: IdpUser, options: ResponseOptions = {}): Promise<string> {
    if (!this.sp) throw new Error('no SP trusted yet');
    const xml = this.responseXml(user, options);
    if (options.sign === 'none') return Buffer.from(xml).toString('base64');
    const { context } = await this.idp.createLoginResponse(this.sp, { extract: {} } as never, 'post', {}, () => ({ id: '', context: xml }));
    return context as string;
  }

  /** A response made by samlify's own stock template (what an outside IdP built on it sends). */
  async stockResponse(email: string, requestId: string): Promise<string> {
    if (!this.sp) throw new Error('no SP trusted yet');
    const { context } = await this.idp.createLoginResponse(this.sp, { extract: { request: { id: requestId } } } as never, 'post', { email });
    return context as string;
  }

  /** The SP's ACS and audience, read from its metadata. */
  get spAcsUrl(): string {
    return (this.sp!.entityMeta.getAssertionConsumerService('post') as string | undefined) ?? '';
  }

  get spEntityId(): string {
    return this.sp!.entityMeta.getEntityID();
  }

  private responseXml(user: IdpUser, options: ResponseOptions): string {
    const now = Date.now() + (options.shiftMs ?? 0);
    const iso = (ms: number) => new Date(ms).toISOString();
    const until = iso(now + (options.validForMs ?? 5 * 60_000));
    const requestId = options.requestId === undefined ? this.requests.at(-1)?.id ?? null : options.requestId;
    const inResponseTo = requestId ? ` InResponseTo="${escape(requestId)}"` : '';
    const issuer = escape(options.issuer ?? this.entityId);
    const attributes = Object.entries({ email: user.email, ...(user.attributes ?? {}) })
      .map(
        ([name, value]) =>
          `<saml:Attribute Name="${escape(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${(Array.isArray(value) ? value : [value])
            .map((v) => `<saml:AttributeValue xsi:type="xs:string">${escape(v)}</saml:AttributeValue>`)
            .join('')}</saml:Attribute>`,
      )
      .join('');
    const assertionId = `_a${randomBytes(16).toString('hex')}`;
    return (
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
      `ID="_r${randomBytes(16).toString('hex')}" Version="2.0" IssueInstant="${iso(now)}" Destination="${escape(options.destination ?? this.spAcsUrl)}"${inResponseTo}>` +
      `<saml:Issuer>${issuer}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="${escape(options.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success')}"/></samlp:Status>` +
      `<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="${assertionId}" Version="2.0" IssueInstant="${iso(now)}">` +
      `<saml:Issuer>${issuer}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${escape(user.nameId ?? user.email)}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
      `<saml:SubjectConfirmationData NotOnOrAfter="${until}" Recipient="${escape(options.recipient ?? this.spAcsUrl)}"${options.confirmationInResponseTo === false ? '' : inResponseTo}/>` +
      `</saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${iso(now - 5_000)}"${options.conditionsNotOnOrAfter === false ? '' : ` NotOnOrAfter="${until}"`}>` +
      `<saml:AudienceRestriction><saml:Audience>${escape(options.audience ?? this.spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${assertionId}"><saml:AuthnContext>` +
      `<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` +
      `</saml:Assertion></samlp:Response>`
    );
  }

  /** The browser leg: an AuthnRequest in, the auto-posting form with the signed response out. */
  private async handle(path: string): Promise<string> {
    if (!path.startsWith('/sso?')) throw new Error(`no such endpoint: ${path}`);
    const request = await this.parseRequest(`${this.url}${path}`);
    if (!this.nextUser) throw new Error('no user is logged in at the IdP');
    const response = await this.response(this.nextUser, { requestId: request.id });
    const relay = request.relayState ? `<input type="hidden" name="RelayState" value="${escape(request.relayState)}"/>` : '';
    return (
      `<!doctype html><html><body onload="document.forms[0].submit()">` +
      `<form method="post" action="${escape(request.acsUrl)}"><input type="hidden" name="SAMLResponse" value="${response}"/>${relay}` +
      `<noscript><button type="submit">Continue</button></noscript></form></body></html>`
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The form an IdP page auto-posts: its action and fields. */
export function formOf(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form in:\n${html.slice(0, 500)}`);
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)) fields[match[1]] = match[2].replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return { action: action.replace(/&amp;/g, '&'), fields };
}
