import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { MultiSamlStrategy, ValidateInResponseTo, type Profile, type SamlConfig } from '@node-saml/passport-saml';
import { DOMParser } from '@xmldom/xmldom';
import { AppConfig } from '@latchkey/config';
import { Clock } from '@latchkey/event-store';
import { sha256 } from '@latchkey/security';
import { storableText, isEmailAddress, type SsoConnectionRow, type SsoIdentity } from '@latchkey/identity';
import { runStrategy } from './passport-adapter';
import { REQUEST_TTL_SECONDS, SamlStateStore, type RequestContext } from './saml-state.store';
import { SpCredentials } from './sp-credentials.service';

/** How far the IdP's clock may be from ours. */
export const CLOCK_SKEW_MS = 120_000;
/** How long after it was issued an assertion may be used at most. */
const MAX_ASSERTION_AGE_MS = 10 * 60_000;
/** A decoded SAMLResponse larger than this is refused before any XML parsing. */
const MAX_RESPONSE_BYTES = 256 * 1024;
/** The same rule the events hold emails to, so an IdP's odd address is a refusal, not a failure. */
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const DISPLAY_NAME_ATTRIBUTES = ['displayName', 'name', 'http://schemas.microsoft.com/identity/claims/displayname', 'urn:oid:2.16.840.1.113730.3.1.241'];

/** A response refused; `reason` is recorded in the SsoLoginRejected event (never shown to the caller). */
export class SamlRejection extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface VerifiedResponse {
  identity: SsoIdentity;
  /** What the start of the login knew about the browser (empty for an IdP-initiated response). */
  context: RequestContext;
}

/** The SP's URLs of a connection (also shown to admins). */
export function spUrls(publicApiUrl: string, identifier: string) {
  const base = `${publicApiUrl}/auth/saml/${encodeURIComponent(identifier)}`;
  return {
    entityId: `${base}/metadata`,
    acsUrl: `${base}/acs`,
    metadataUrl: `${base}/metadata`,
    loginUrl: `${publicApiUrl}/login/saml/${encodeURIComponent(identifier)}/`,
  };
}

interface SamlRequest {
  body?: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  url: string;
  samlOptions: SamlConfig;
}

/**
 * SAML 2.0 for one connection at a time, through passport-saml's MultiSamlStrategy (node-saml
 * checks signatures, InResponseTo, audience, time conditions) plus what node-saml leaves to the
 * SP: no DOCTYPE or comments, Destination, Recipient, Issuer, one use per assertion.
 */
@Injectable()
export class SamlService {
  private readonly logger = new Logger(SamlService.name);
  private readonly strategy = new MultiSamlStrategy(
    {
      passReqToCallback: false,
      getSamlOptions: (request: unknown, done: (error: Error | null, options?: SamlConfig) => void) => done(null, (request as SamlRequest).samlOptions),
    },
    (profile: Profile | null, done: (error: Error | null, user?: Record<string, unknown>) => void) => done(null, profile as never),
    (_profile: Profile | null, done: (error: Error | null, user?: Record<string, unknown>) => void) => done(null, {}),
  );

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly state: SamlStateStore,
    private readonly credentials: SpCredentials,
  ) {}

  urls(connection: Pick<SsoConnectionRow, 'identifier'>) {
    return spUrls(this.config.publicApiUrl, connection.identifier);
  }

  /** The IdP URL with a signed AuthnRequest (HTTP-Redirect binding); remembers the request for the ACS. */
  async authorizeUrl(connection: SsoConnectionRow, context: Omit<RequestContext, 'browser'> & { browser: string }): Promise<string> {
    const requestId = `_${randomBytes(20).toString('hex')}`;
    const outcome = await runStrategy(this.strategy, this.request(connection, { generateUniqueId: () => requestId }));
    if (outcome.kind !== 'redirect') throw outcome.kind === 'error' ? outcome.error : new Error(`SAML request not built (${outcome.kind})`);
    await this.state.saveContext(requestId, { ...context, browser: sha256(context.browser) });
    return outcome.url;
  }

  metadata(connection: SsoConnectionRow): Promise<string> {
    return new Promise((resolve, reject) =>
      this.strategy.generateServiceProviderMetadata(this.request(connection) as never, null, this.credentials.certificate, (error, xml) =>
        error || !xml ? reject(error ?? new Error('no metadata')) : resolve(xml),
      ),
    );
  }

  /**
   * Checks a posted SAMLResponse for the connection; throws SamlRejection saying why it is
   * refused. `sameBrowser` says whether the post comes from the browser that started the login
   * (given the hash of that browser's mark).
   */
  async verify(connection: SsoConnectionRow, samlResponse: string, sameBrowser: (expected: string | undefined) => boolean): Promise<VerifiedResponse> {
    const xml = decode(samlResponse);
    const urls = this.urls(connection);

    const outcome = await runStrategy(this.strategy, { ...this.request(connection), body: { SAMLResponse: samlResponse } });
    if (outcome.kind === 'error') throw new SamlRejection(classify(outcome.error.message));
    if (outcome.kind !== 'success') throw new SamlRejection(`invalid: ${outcome.kind}`);
    const profile = outcome.user as Profile;

    const response = parse(xml).documentElement;
    const destination = response?.getAttribute('Destination');
    if (destination && destination !== urls.acsUrl) throw new SamlRejection('wrong_destination');
    // The IdP says whether it authenticated the user in the Response's status. node-saml reads
    // the status only when there is no assertion; an IdP that reports a failure (Responder,
    // Requester, a second-level code) and still sends an assertion has not logged anyone in.
    const statusElement = response ? child(response, 'Status') : undefined;
    const status = (statusElement && child(statusElement, 'StatusCode')?.getAttribute('Value')) || 'missing';
    if (status !== SUCCESS) throw new SamlRejection(storableText(`idp_status: ${status}`, 300));

    // Everything below reads the assertion node-saml verified, never the rest of the document.
    const assertion = parse(profile.getAssertionXml!()).documentElement;
    const issuer = child(assertion, 'Issuer')?.textContent?.trim();
    if (issuer !== connection.idpEntityId) throw new SamlRejection('wrong_issuer');
    const confirmation = descendants(assertion, 'SubjectConfirmation').find((n) => n.getAttribute('Method') === BEARER);
    const data = confirmation ? child(confirmation, 'SubjectConfirmationData') : undefined;
    if (!data || data.getAttribute('Recipient') !== urls.acsUrl) throw new SamlRejection('wrong_recipient');

    // Time: the bearer confirmation must say until when it holds (node-saml does not check it on
    // IdP-initiated responses), within the allowed clock skew.
    const now = this.clock.now().getTime();
    const notOnOrAfter = Date.parse(data.getAttribute('NotOnOrAfter') ?? '');
    const notBefore = data.getAttribute('NotBefore');
    if (!Number.isFinite(notOnOrAfter) || now >= notOnOrAfter + CLOCK_SKEW_MS) throw new SamlRejection('expired: subject confirmation');
    if (notBefore && now + CLOCK_SKEW_MS < Date.parse(notBefore)) throw new SamlRejection('expired: not yet valid');
    const conditionsUntil = Date.parse(child(assertion, 'Conditions')?.getAttribute('NotOnOrAfter') ?? '');

    // The request this answers comes from the signed confirmation, never from the unsigned
    // Response; it is spent here, once, whoever posts it first.
    const requestId = data.getAttribute('InResponseTo') || null;
    const outerRequestId = response?.getAttribute('InResponseTo') || null;
    if (outerRequestId && outerRequestId !== requestId) throw new SamlRejection('unknown_in_response_to: not in the signed assertion');
    if (!requestId && !connection.allowIdpInitiated) throw new SamlRejection('unknown_in_response_to: unsolicited response');
    let context: RequestContext = {};
    if (requestId) {
      if (!(await this.state.consumeRequest(connection.id, requestId))) throw new SamlRejection('unknown_in_response_to: not a pending request');
      context = await this.state.takeContext(requestId);
      // Login CSRF: the browser that posts the response must be the one that started the login.
      if (!sameBrowser(context.browser)) throw new SamlRejection('browser_mismatch');
    }

    const assertionId = assertion.getAttribute('ID');
    if (!assertionId) throw new SamlRejection('no_assertion_id');
    const keepUntil = Math.max(notOnOrAfter, Number.isFinite(conditionsUntil) ? conditionsUntil : 0) + CLOCK_SKEW_MS;
    if (!(await this.state.firstUse(connection.id, assertionId, keepUntil - now))) throw new SamlRejection('replayed');

    // node-saml leaves out an attribute sent without values; for the groups attribute that is
    // "in no group", which must not read as "the IdP said nothing about groups".
    const groupsSent = descendants(assertion, 'Attribute').some((a) => a.getAttribute('Name') === connection.groupsAttribute);
    return { identity: this.identity(connection, profile, groupsSent), context };
  }

  private identity(connection: SsoConnectionRow, profile: Profile, groupsSent: boolean): SsoIdentity {
    const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
    const first = (value: unknown) => (Array.isArray(value) ? value[0] : value);
    const nameId = profile.nameID?.trim();
    const email = nameId && isEmailAddress(nameId) ? nameId : first(attributes[connection.emailAttribute]);
    if (typeof email !== 'string' || !isEmailAddress(email.trim())) throw new SamlRejection('no_email');
    const rawGroups = attributes[connection.groupsAttribute] ?? (groupsSent ? [] : undefined);
    const groups =
      rawGroups === undefined
        ? null
        : [...new Set((Array.isArray(rawGroups) ? rawGroups : [rawGroups]).filter((g): g is string => typeof g === 'string').map((g) => storableText(g.trim(), 200)))]
            .filter((g) => g.length > 0)
            .slice(0, 200);
    const name = DISPLAY_NAME_ATTRIBUTES.map((a) => first(attributes[a])).find((v): v is string => typeof v === 'string' && v.trim().length > 0);
    return { email: email.trim(), name: name === undefined ? null : storableText(name.trim(), 200), groups };
  }

  private request(connection: SsoConnectionRow, extra: Partial<SamlConfig> = {}): SamlRequest {
    const urls = this.urls(connection);
    return {
      query: {},
      headers: {},
      url: urls.acsUrl,
      samlOptions: {
        entryPoint: connection.idpSsoUrl,
        issuer: urls.entityId,
        callbackUrl: urls.acsUrl,
        audience: urls.entityId,
        idpCert: connection.idpCertificates,
        idpIssuer: connection.idpEntityId,
        privateKey: this.credentials.privateKey,
        publicCert: this.credentials.certificate,
        signatureAlgorithm: 'sha256',
        digestAlgorithm: 'sha256',
        wantAssertionsSigned: true,
        wantAuthnResponseSigned: false,
        acceptedClockSkewMs: CLOCK_SKEW_MS,
        validateInResponseTo: connection.allowIdpInitiated ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
        requestIdExpirationPeriodMs: REQUEST_TTL_SECONDS * 1000,
        // An assertion older than this is refused whatever its own limits say.
        maxAssertionAgeMs: MAX_ASSERTION_AGE_MS,
        cacheProvider: this.state.requestIds(connection.id),
        identifierFormat: null,
        disableRequestedAuthnContext: true,
        ...extra,
      },
    };
  }
}

function decode(samlResponse: string): string {
  if (samlResponse.length > (MAX_RESPONSE_BYTES * 4) / 3 + 4) throw new SamlRejection('too_large');
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  if (!xml.trimStart().startsWith('<')) throw new SamlRejection('not_xml');
  // No DTDs at all (entity expansion, external entities), and no comments: a comment inside a
  // signed value changes what is read without changing what is signed.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new SamlRejection('doctype');
  if (xml.includes('<!--')) throw new SamlRejection('xml_comment');
  return xml;
}

function parse(xml: string): Document {
  const errors: string[] = [];
  const doc = new DOMParser({ errorHandler: { warning: () => undefined, error: (m: string) => void errors.push(m), fatalError: (m: string) => void errors.push(m) } }).parseFromString(xml, 'text/xml');
  if (errors.length > 0 || !doc.documentElement) throw new SamlRejection('malformed_xml');
  return doc as unknown as Document;
}

function child(node: Element, localName: string): Element | undefined {
  return Array.from(node.childNodes).find((n): n is Element => n.nodeType === 1 && (n as Element).localName === localName);
}

function descendants(node: Element, localName: string): Element[] {
  return Array.from(node.getElementsByTagNameNS('*', localName));
}

/** node-saml's messages → short, stable reasons for the event. */
function classify(message: string): string {
  const m = message.toLowerCase();
  const code = m.includes('signature')
    ? 'bad_signature'
    : m.includes('inresponseto')
      ? 'unknown_in_response_to'
      : m.includes('audience')
        ? 'wrong_audience'
        : m.includes('expired') || m.includes('subject confirmation') || m.includes('notbefore') || m.includes('notonorafter') || m.includes('too old')
          ? 'expired'
          : m.includes('issuer')
            ? 'wrong_issuer'
            : 'invalid';
  return storableText(`${code}: ${message}`, 300);
}
