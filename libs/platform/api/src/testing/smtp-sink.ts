import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  messageId: string | null;
  raw: string;
}

/**
 * A real SMTP server on loopback for tests of mail delivery. `refuse` answers a recipient with
 * an SMTP error (451: try later, 550: never); `hold` keeps each message's DATA unanswered until
 * released, so a sender is caught between "sent" and "accepted".
 */
export interface SmtpSink {
  url: string;
  port: number;
  received: ReceivedMail[];
  /** Messages whose DATA arrived while holding, never answered. */
  readonly held: number;
  refuse(fn: ((to: string) => number | null) | null): void;
  hold(on: boolean): void;
  close(): Promise<void>;
}

export async function startSmtpSink(port = 0): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  let refuse: ((to: string) => number | null) | null = null;
  let holding = false;
  let held = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address: SMTPServerAddress, _session, cb) {
      const code = refuse?.(address.address.toLowerCase()) ?? null;
      if (!code) return cb();
      const e = new Error(code >= 500 ? 'mailbox unavailable' : 'try again later') as Error & { responseCode: number };
      e.responseCode = code;
      cb(e);
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        // Held: never answered, as a receiver that hangs (or a process killed meanwhile) would be.
        if (holding) return void held++;
        received.push({ to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), messageId: /^message-id:\s*(\S+)/im.exec(raw)?.[1] ?? null, raw });
        cb();
      });
    },
  });
  await new Promise<void>((r, j) => {
    server.server.once('error', j);
    server.listen(port, '127.0.0.1', () => r());
  });
  const actual = (server.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${actual}`,
    port: actual,
    received,
    get held() {
      return held;
    },
    refuse: (fn) => void (refuse = fn),
    hold: (on) => void (holding = on),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
