/**
 * A minimal WebSocket frame codec (RFC 6455 section 5) for tests that drive
 * the protocol by hand through the forward proxy: client frames masked, any
 * payload length, no extensions; plus the handshake key check.
 *
 * @module
 */

/** One frame. */
export interface Frame {
  /** FIN bit. */
  fin: boolean;
  /** Opcode: 1 text, 2 binary, 8 close, 9 ping, 10 pong. */
  opcode: number;
  /** Unmasked payload. */
  payload: Uint8Array;
}

/** Encodes a frame; client frames (`mask`) are masked with a fixed key. */
export function encodeFrame(opcode: number, payload: Uint8Array, mask = true): Uint8Array {
  const n = payload.length;
  const lenBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const head = 2 + lenBytes + (mask ? 4 : 0);
  const out = new Uint8Array(head + n);
  out[0] = 0x80 | opcode;
  out[1] = (mask ? 0x80 : 0) | (n < 126 ? n : n < 65536 ? 126 : 127);
  const view = new DataView(out.buffer);
  if (lenBytes === 2) view.setUint16(2, n);
  if (lenBytes === 8) view.setBigUint64(2, BigInt(n));
  if (mask) {
    const key = [0x12, 0x34, 0x56, 0x78];
    out.set(key, 2 + lenBytes);
    for (let i = 0; i < n; i++) out[head + i] = payload[i] ^ key[i & 3];
  } else out.set(payload, head);
  return out;
}

/** Reads frames from a connection, keeping what follows a frame for the next call. */
export class FrameReader {
  readonly #conn: Deno.Conn;
  #buf: Uint8Array = new Uint8Array(0);

  /** A reader over `conn`, starting with `initial` bytes already read. */
  constructor(conn: Deno.Conn, initial: Uint8Array = new Uint8Array(0)) {
    this.#conn = conn;
    this.#buf = initial;
  }

  async #need(n: number): Promise<void> {
    const chunk = new Uint8Array(65536);
    while (this.#buf.length < n) {
      const r = await this.#conn.read(chunk);
      if (r === null) throw new Error("connection closed in the middle of a frame");
      const next = new Uint8Array(this.#buf.length + r);
      next.set(this.#buf);
      next.set(chunk.subarray(0, r), this.#buf.length);
      this.#buf = next;
    }
  }

  /** The next frame. */
  async next(): Promise<Frame> {
    await this.#need(2);
    let n = this.#buf[1] & 0x7f;
    const masked = (this.#buf[1] & 0x80) !== 0;
    let off = 2;
    if (n === 126) {
      await this.#need(4);
      n = (this.#buf[2] << 8) | this.#buf[3];
      off = 4;
    } else if (n === 127) {
      await this.#need(10);
      n = Number(new DataView(this.#buf.buffer, this.#buf.byteOffset).getBigUint64(2));
      off = 10;
    }
    const keyAt = off;
    if (masked) off += 4;
    await this.#need(off + n);
    const payload = this.#buf.slice(off, off + n);
    if (masked) { for (let i = 0; i < n; i++) payload[i] ^= this.#buf[keyAt + (i & 3)]; }
    const frame = { fin: (this.#buf[0] & 0x80) !== 0, opcode: this.#buf[0] & 0x0f, payload };
    this.#buf = this.#buf.slice(off + n);
    return frame;
  }
}

/** `Sec-WebSocket-Accept` for a key (RFC 6455 section 4.2.2). */
export async function acceptFor(key: string): Promise<string> {
  const data = new TextEncoder().encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", data));
  return btoa(String.fromCharCode(...digest));
}
