// A real SMTP server for the delivery tests: it accepts every message (with or without AUTH,
// plain TCP, no STARTTLS), parses it with mailparser, and serves what it received as JSON.
// usage: node smtp-sink.mjs
// prints one line once both ports listen: {"smtp":<port>,"http":<port>}
// GET http://127.0.0.1:<http>/messages → [{ to, from, subject, text, html, user, envelope, contentType }]
// The process ends when its standard input closes (the test fixture stops it).
import http from 'node:http';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

const received = [];

const smtp = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, session, callback) {
        callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
        simpleParser(stream)
            .then(mail => {
                received.push({
                    to: mail.to?.value?.map(a => a.address) ?? [],
                    from: mail.from?.value?.[0]?.address ?? null,
                    fromName: mail.from?.value?.[0]?.name ?? null,
                    subject: mail.subject ?? null,
                    text: mail.text ?? null,
                    html: typeof mail.html === 'string' ? mail.html : null,
                    contentType: mail.headers.get('content-type')?.value ?? null,
                    user: session.user ?? null,
                    envelope: {
                        from: session.envelope.mailFrom?.address ?? null,
                        to: session.envelope.rcptTo.map(r => r.address),
                    },
                });
                callback();
            })
            .catch(callback);
    },
});

const api = http.createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/messages') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(received));
        return;
    }
    response.writeHead(404);
    response.end();
});

const listen = (server, port) => new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
});

await listen(smtp, 0);
await listen(api, 0);
console.log(JSON.stringify({ smtp: smtp.server.address().port, http: api.address().port }));

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
