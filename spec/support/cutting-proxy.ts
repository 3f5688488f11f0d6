/** A TCP proxy on loopback that cuts connections after a given number of bytes, for the link fault specs. */
import * as net from 'net';

/** A running proxy: its port, how many connections it has cut, and close(). */
export interface CuttingProxy {
  port: number;
  cuts(): number;
  close(): void;
}

/** Which way the bytes are counted: from the phone to the clone, or back. */
export type Direction = 'up' | 'down';

/**
 * Forward connections to `port` and drop both sides once exactly `cutAfter` bytes have gone
 * `direction` (those bytes are delivered first). With `firstOnly`, only the first connection is
 * cut and later ones pass whole, as a phone's reconnection would.
 */
export async function cuttingProxy(port: number, cutAfter: number, o: { direction?: Direction; firstOnly?: boolean } = {}): Promise<CuttingProxy> {
  const direction = o.direction ?? 'up';
  let connections = 0;
  let cuts = 0;
  const server = net.createServer((phone) => {
    const clone = net.connect(port, '127.0.0.1');
    const cutting = !o.firstOnly || connections++ === 0;
    const [from, to] = direction === 'up' ? [phone, clone] : [clone, phone];
    let passed = 0;
    let done = false;
    const cut = () => {
      if (!done) cuts++;
      done = true;
      phone.destroy();
      clone.destroy();
    };
    from.on('data', (b: Buffer) => {
      const room = cutAfter - passed;
      if (cutting && b.length >= room) {
        // Deliver exactly the bytes before the cut, then drop both sides.
        if (room > 0) to.write(b.subarray(0, room), cut);
        else cut();
        passed = cutAfter;
        from.pause();
        return;
      }
      passed += b.length;
      to.write(b);
    });
    to.on('data', (b: Buffer) => from.write(b));
    for (const s of [phone, clone]) {
      s.on('error', () => (phone.destroy(), clone.destroy()));
      s.on('close', () => (phone.destroy(), clone.destroy()));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, cuts: () => cuts, close: () => server.close() };
}
