import http from 'node:http';
import https from 'node:https';
import { SET_MEDIA_TYPE } from './set-signer.ts';

export interface PostAnswer {
  status: number;
  body: string;
}

/** The most of an answer's body that is read: an RFC 8935 §2.3 error body is small. */
const MAX_ANSWER_BYTES = 16 * 1024;

/**
 * POSTs SETs over kept-alive connections (node:http, which is several times cheaper per request
 * than fetch here). Redirects are not followed: a receiver's endpoint is the URL the operator
 * registered.
 */
export class SetPoster {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 4 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 4 }),
  };

  constructor(private readonly timeoutMs: number) {}

  post(url: string, token: string): Promise<PostAnswer> {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const agent = this.agents[target.protocol as 'http:' | 'https:'];
    return new Promise((resolve, reject) => {
      const req = client.request(target, {
        method: 'POST',
        agent,
        headers: { 'Content-Type': SET_MEDIA_TYPE, Accept: 'application/json', 'Content-Length': Buffer.byteLength(token) },
        timeout: this.timeoutMs,
      }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < MAX_ANSWER_BYTES) body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(token);
    });
  }

  close(): void {
    for (const agent of Object.values(this.agents)) agent.destroy();
  }
}
