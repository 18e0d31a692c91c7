// Invitation mail through the operator's SMTP server (nodemailer), when SMTP_URL is set. A mail that
// cannot be sent does not undo the invitation: the inviter still has the link to share.
import nodemailer from 'nodemailer';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export type SendMail = (mail: Mail) => Promise<void>;

/** A sender for the settings, or null when no SMTP server is configured. */
export function mailerFor(settings: { smtpUrl: string | null; mailFrom: string }): SendMail | null {
  if (!settings.smtpUrl) return null;
  // Bounded waits: an SMTP server that does not answer must not hold the invitation's answer for minutes.
  const transport = nodemailer.createTransport({
    url: settings.smtpUrl,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return async (mail) => {
    await transport.sendMail({ from: settings.mailFrom, to: mail.to, subject: mail.subject, text: mail.text });
  };
}

export function invitationMail(to: string, accountName: string, role: string, url: string, expiresAt: string): Mail {
  return {
    to,
    subject: `You are invited to ${accountName} on Hookstream`,
    text: [
      `You are invited to join ${accountName} on Hookstream as ${role}.`,
      '',
      `Accept the invitation here (it works once, until ${expiresAt}):`,
      url,
      '',
      'If you did not expect this invitation, you can ignore this mail.',
    ].join('\n'),
  };
}
