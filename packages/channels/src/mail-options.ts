/** An EmailMessage as nodemailer's mail options: one mapping for the SMTP and outbox providers. */
import type { SendMailOptions } from 'nodemailer';
import type { EmailMessage } from './provider';

export function mailOptions(message: EmailMessage): SendMailOptions {
  return {
    from: message.from,
    to: message.to,
    replyTo: message.replyTo,
    subject: message.subject,
    html: message.html,
    text: message.text,
    headers: message.headers,
  };
}
