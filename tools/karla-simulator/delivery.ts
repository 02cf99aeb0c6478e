import { createHmac, randomUUID } from 'crypto';
import { request as httpRequest } from 'http';
import { request as httpsRequest } from 'https';

import type { DeliveryAttempt, DeliveryResult, SimulatedWebhook } from './types';

/** Loopback host names, the only delivery targets unless `deliveryHosts` allows others. */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '::1', '[::1]'];

const MAX_RECORDED_RESPONSE_CHARS = 1_000;

/**
 * Builds Karla's `Karla-Signature` header: `v1` is the hex HMAC-SHA256 of `<t>.<raw body>`,
 * keyed with the secret's UTF-8 bytes.
 */
export function signDelivery(secret: string, timestampSeconds: number, rawBody: Buffer): string {
	const signature = createHmac('sha256', Buffer.from(secret, 'utf8'))
		.update(`${timestampSeconds}.`, 'utf8')
		.update(rawBody)
		.digest('hex');
	return `t=${timestampSeconds},v1=${signature}`;
}

interface PostOutcome {
	status: number | null;
	error: string | null;
	responseBody: string | null;
}

function postOnce(
	url: URL,
	rawBody: Buffer,
	signatureHeader: string,
	timeoutMs: number,
): Promise<PostOutcome> {
	const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
	return new Promise((resolve) => {
		const request = send(
			url,
			{
				method: 'POST',
				// A fresh connection per attempt: no keep-alive socket outlives stop().
				agent: false,
				timeout: timeoutMs,
				headers: {
					'Content-Type': 'application/json',
					'Content-Length': rawBody.length,
					'Karla-Signature': signatureHeader,
					'User-Agent': 'karla-simulator',
				},
			},
			(response) => {
				const chunks: Buffer[] = [];
				response.on('data', (chunk: Buffer) => chunks.push(chunk));
				response.on('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					resolve({
						status: response.statusCode ?? null,
						error: null,
						responseBody: text.slice(0, MAX_RECORDED_RESPONSE_CHARS),
					});
				});
				response.on('error', (error) =>
					resolve({
						status: response.statusCode ?? null,
						error: error.message,
						responseBody: null,
					}),
				);
			},
		);
		request.on('timeout', () => request.destroy(new Error(`timed out after ${timeoutMs} ms`)));
		request.on('error', (error) =>
			resolve({ status: null, error: error.message, responseBody: null }),
		);
		request.end(rawBody);
	});
}

export interface DeliverySettings {
	maxAttempts: number;
	retryBackoffMs: number;
	timeoutMs: number;
	deliveryHosts: readonly string[] | 'any';
	now: () => number;
	log: (line: string) => void;
	/** Waits for a retry; resolves false when the simulator stopped meanwhile. */
	wait: (ms: number) => Promise<boolean>;
	/** Returns the webhook as it is now, or undefined once it was deleted. */
	lookup: (uuid: string) => SimulatedWebhook | undefined;
	record: (attempt: DeliveryAttempt) => void;
}

function isHostAllowed(url: URL, hosts: readonly string[] | 'any'): boolean {
	return hosts === 'any' || hosts.includes(url.hostname);
}

/**
 * Delivers one event to one webhook: signs each attempt with a fresh timestamp, retries on a
 * non-2xx status or a network error with exponential backoff, and records every attempt. Stops
 * early when the webhook was deleted or deactivated, or the simulator stopped.
 */
export async function deliverToWebhook(
	webhook: SimulatedWebhook,
	rawBody: Buffer,
	ref: string | null,
	settings: DeliverySettings,
): Promise<DeliveryResult> {
	const deliveryId = randomUUID();
	const attempts: DeliveryAttempt[] = [];
	const url = new URL(webhook.url);

	for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
		const nowMs = settings.now();
		const timestamp = Math.floor(nowMs / 1000);
		const signatureHeader = signDelivery(webhook.secret, timestamp, rawBody);
		const allowed = isHostAllowed(url, settings.deliveryHosts);
		const outcome: PostOutcome = allowed
			? await postOnce(url, rawBody, signatureHeader, settings.timeoutMs)
			: { status: null, error: 'delivery_host_not_allowed', responseBody: null };
		const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
		const record: DeliveryAttempt = {
			deliveryId,
			webhookUuid: webhook.uuid,
			shopSlug: webhook.shop_slug,
			url: webhook.url,
			ref,
			attempt,
			signatureTimestamp: timestamp,
			signatureHeader,
			status: outcome.status,
			error: outcome.error,
			responseBody: outcome.responseBody,
			ok,
			startedAt: new Date(nowMs).toISOString(),
		};
		attempts.push(record);
		settings.record(record);

		const result =
			outcome.status === null ? (outcome.error ?? 'no response') : `HTTP ${outcome.status}`;
		settings.log(
			`delivery ${deliveryId} of ${ref ?? '(no ref)'} to webhook ${webhook.uuid}, attempt ${attempt}: ${result}`,
		);
		if (ok || !allowed) break;
		if (attempt === settings.maxAttempts) break;

		const backoffMs = settings.retryBackoffMs * 2 ** (attempt - 1);
		settings.log(`delivery ${deliveryId}: retrying in ${backoffMs} ms`);
		if (!(await settings.wait(backoffMs))) break;
		const current = settings.lookup(webhook.uuid);
		if (current === undefined || current.status !== 'active') break;
	}

	return {
		deliveryId,
		webhookUuid: webhook.uuid,
		url: webhook.url,
		delivered: attempts.some((attempt) => attempt.ok),
		attempts,
	};
}
