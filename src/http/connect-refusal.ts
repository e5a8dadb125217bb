import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { ScimError } from '../scim/scim-error.ts';
import { SCIM_CONTENT_TYPE } from './respond.ts';

/**
 * CONNECT asks for a tunnel (RFC 9110 §9.3.6), which this server offers nowhere: 501 (§15.6.2)
 * with a SCIM error body, and the connection is closed. Node hands CONNECT to the server's
 * 'connect' event rather than to the app, and without a listener drops the connection unanswered.
 */
export function refuseConnect(log: Logger) {
  return function answerConnect(req: http.IncomingMessage, socket: Duplex): void {
    const body = JSON.stringify(new ScimError(501, 'the method CONNECT is not implemented by this server').toBody());
    socket.on('error', () => socket.destroy());
    socket.end([
      'HTTP/1.1 501 Not Implemented',
      `Content-Type: ${SCIM_CONTENT_TYPE}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'));
    log.info({ method: req.method, status: 501 }, 'request');
  };
}
