import type { Locale } from '@latchkey/identity';

/** An email as content blocks; the text and HTML bodies are both rendered from it, so they say the same. */
export interface EmailDraft {
  subject: string;
  blocks: EmailBlock[];
}

export type EmailBlock =
  /** Body text. */
  | { paragraph: string }
  /** A one-time code, shown large. */
  | { code: string }
  /** The one thing to do: a button in HTML, "label: link" in text. */
  | { action: { label: string; link: string } }
  /** The safety sentence, set apart at the end. */
  | { note: string };

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * Links in our emails point at the web app; anything but http(s) (javascript:, data:) is a bug
 * upstream. The error does not repeat the link: it carries a one-time token.
 */
function assertWebLink(link: string): void {
  let protocol: string;
  try {
    protocol = new URL(link).protocol;
  } catch {
    throw new Error('an email link must be an absolute http(s) URL');
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new Error('an email link must be an absolute http(s) URL');
}

const P = 'margin:0 0 16px';
const MUTED = 'margin:0 0 16px;font-size:13px;color:#57606a';
const NOTE = 'margin:24px 0 0;font-size:13px;color:#57606a';

/** Renders both bodies. Every string from the draft is escaped in HTML, parameters included. */
export function composeEmail(locale: Locale, draft: EmailDraft): EmailContent {
  const text: string[] = [];
  const html: string[] = [];
  for (const block of draft.blocks) {
    if ('paragraph' in block) {
      text.push(block.paragraph);
      html.push(`<p style="${P}">${escapeHtml(block.paragraph)}</p>`);
    } else if ('code' in block) {
      text.push(block.code);
      html.push(
        `<p style="${P};font-size:28px;font-weight:600;letter-spacing:6px;font-family:ui-monospace,Menlo,Consolas,monospace">${escapeHtml(block.code)}</p>`,
      );
    } else if ('action' in block) {
      const { label, link } = block.action;
      assertWebLink(link);
      text.push(`${label}:\n${link}`);
      const href = escapeHtml(link);
      html.push(
        `<p style="${P}"><a href="${href}" style="display:inline-block;background:#1f6feb;color:#ffffff;text-decoration:none;font-weight:600;padding:12px 20px;border-radius:6px">${escapeHtml(label)}</a></p>`,
        // The address itself, for mail clients that block buttons or strip styles.
        `<p style="${MUTED};word-break:break-all"><a href="${href}" style="color:#1f6feb">${href}</a></p>`,
      );
    } else {
      text.push(block.note);
      html.push(`<p style="${NOTE}">${escapeHtml(block.note)}</p>`);
    }
  }
  return {
    subject: draft.subject,
    text: `${text.join('\n\n')}\n`,
    html: [
      '<!DOCTYPE html>',
      `<html lang="${locale}">`,
      `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(draft.subject)}</title></head>`,
      `<body style="margin:0;padding:24px;background:#f6f7f9;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#1f2328">`,
      '<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:32px">',
      ...html,
      '</div>',
      '</body>',
      '</html>',
      '',
    ].join('\n'),
  };
}
