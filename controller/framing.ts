// OpenFlow stream framing: cut a TCP byte stream into messages using the 8-byte header's length field.
// Handles partial reads (a message split over chunks) and several messages per chunk without copying
// in the common case (whole messages inside one chunk are passed as offsets into that chunk).

export const OFP_HEADER_LEN = 8;

export interface FrameSink {
  /** one complete message: buf[off, off+len). Return false to stop processing (session closing). */
  frame(buf: Buffer, off: number, len: number): boolean;
}

export class FramingError extends Error {
  override readonly name = 'FramingError';
  constructor(message: string, readonly header: Buffer) {
    super(message);
  }
}

export class FrameReader {
  private rest: Buffer | null = null;
  /** bytes buffered for an incomplete message */
  get pending(): number {
    return this.rest ? this.rest.length : 0;
  }

  /** Feed a chunk; calls sink.frame for every complete message. Returns a FramingError (and stops) if a header
   *  declares a length shorter than the header itself — the stream cannot be resynchronised after that. */
  push(chunk: Buffer, sink: FrameSink): FramingError | null {
    let buf = chunk;
    if (this.rest !== null) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    const end = buf.length;
    let off = 0;
    while (end - off >= OFP_HEADER_LEN) {
      const len = (buf[off + 2] << 8) | buf[off + 3];
      if (len < OFP_HEADER_LEN) {
        return new FramingError(`message at stream offset ${off} declares length ${len} < 8`, Buffer.from(buf.subarray(off, off + OFP_HEADER_LEN)));
      }
      if (end - off < len) break;
      if (!sink.frame(buf, off, len)) return null;
      off += len;
    }
    if (off < end) {
      // keep the tail; copy it out when it is a small part of a big chunk so the chunk can be freed
      const tail = buf.subarray(off);
      this.rest = tail.length < 4096 && buf.length > 65536 ? Buffer.from(tail) : tail;
    }
    return null;
  }
}
