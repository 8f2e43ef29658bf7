/**
 * The local stack's mail catcher: where Auth's mails go (sign-in links and codes, confirmations, recovery,
 * invites, email changes), as `supabase start` sends them to its own catcher. Mails are kept in memory, newest
 * first, up to a bound, and read over HTTP at /mail/v1 by a developer, a browser or a test. They carry sign-in
 * links, so the catcher answers only clients on this machine, and the stack's log names a mail without its link.
 */
import { Hono } from "hono";
import { socketAddress } from "../socket_address.ts";

export interface Mail {
  id: string;
  to: string;
  subject: string;
  /** The verification type of its link: signup, invite, magiclink, recovery, email_change. */
  type: string;
  /** The link to follow (GET /auth/v1/verify?token=…). */
  link: string;
  /** The 6-digit code the mail also gives, for verifyOtp. */
  otp: string;
  text: string;
  sent_at: string;
}

/** How many mails the catcher keeps; older ones are dropped. */
const MAILBOX_CAPACITY = 500;

export class Mailbox {
  private readonly mails: Mail[] = [];
  private readonly announce: (mail: Mail) => void;

  /** `announce` hears each delivery: the stack's log line. */
  constructor(announce: (mail: Mail) => void = () => {}) {
    this.announce = announce;
  }

  deliver(mail: Omit<Mail, "id" | "sent_at">): Mail {
    const delivered = { id: crypto.randomUUID(), sent_at: new Date().toISOString(), ...mail };
    this.mails.unshift(delivered);
    this.mails.length = Math.min(this.mails.length, MAILBOX_CAPACITY);
    this.announce(delivered);
    return delivered;
  }

  /** Mails, newest first, to one address (case-insensitive) or all. */
  list(to?: string): Mail[] {
    const address = to?.toLowerCase();
    return address ? this.mails.filter((mail) => mail.to.toLowerCase() === address) : [...this.mails];
  }

  find(id: string): Mail | undefined {
    return this.mails.find((mail) => mail.id === id);
  }

  clear(): void {
    this.mails.length = 0;
  }
}

const LOOPBACK = /^(127\.|::1$)/;

/**
 * /mail/v1: GET /messages (`?to=` one address), GET /messages/:id, DELETE /messages. A caller not on this machine
 * (a stack started with --host 0.0.0.0) gets 403: the mails sign people in.
 */
export function mailboxApp(mailbox: Mailbox): Hono {
  const app = new Hono();
  app.use("*", async (c, next) => {
    const address = socketAddress(c);
    if (address !== undefined && !LOOPBACK.test(address)) {
      return c.json({ error: "The local mail catcher answers only clients on this machine" }, 403);
    }
    await next();
  });
  app.get("/messages", (c) => c.json({ messages: mailbox.list(c.req.query("to")) }));
  app.get("/messages/:id", (c) => {
    const mail = mailbox.find(c.req.param("id"));
    return mail ? c.json(mail) : c.json({ error: "No such mail" }, 404);
  });
  app.delete("/messages", (c) => {
    mailbox.clear();
    return c.body(null, 204);
  });
  return app;
}
