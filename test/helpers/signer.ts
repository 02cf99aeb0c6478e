import { createHmac } from 'crypto';

/**
 * Signs a body the way Karla does, written independently of the package's verifier so that a
 * shared mistake cannot make both sides agree.
 */
export function karlaSignature(secret: string, body: Buffer | string, timestamp: number): string {
	const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
	const mac = createHmac('sha256', Buffer.from(secret, 'utf8'));
	mac.update(Buffer.concat([Buffer.from(`${timestamp}.`, 'ascii'), bytes]));
	return `t=${timestamp},v1=${mac.digest('hex')}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
