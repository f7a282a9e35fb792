import nodemailer from 'nodemailer';
import type { Database } from '@inkwell/db';
import { schema } from '@inkwell/db';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
  };
}

/**
 * Without SMTP, mail lands in the development outbox: a table that admins read at /admin, and a log
 * line, so that every flow (verify email, reset password) can be completed on one machine.
 */
export function createOutboxMailer(db: Database, log: (message: string) => void): Mailer {
  return {
    async send(mail) {
      await db.insert(schema.outboxMessages).values({ recipient: mail.to, subject: mail.subject, body: mail.text });
      log(`mail to ${mail.to} kept in the development outbox: ${mail.subject}`);
    },
  };
}
