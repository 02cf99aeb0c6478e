import axios from 'axios';
import { readFile } from 'fs/promises';
import { parseArgs } from 'util';

import { computeSignature } from '../../nodes/shared/signature';
import { buildRealisticClaimEvent } from './realistic-claims';

export const SEND_CLAIM_USAGE = `Usage: npm run send-claim -- --url URL --secret SECRET [--event created|updated] [--file FILE]

Signs a Karla claim event the way Karla does and POSTs it to a Karla Claim Trigger.

  --url URL          the trigger's webhook URL: the production URL, or the test URL while
                     n8n's editor listens for a test event
  --secret SECRET    the signing secret of the trigger's Karla Signing Secret credential
  --event EVENT      created (default) or updated: which built-in realistic claim to send
  --file FILE        send this file's bytes exactly as they are instead of the built-in claim
  --timestamp T      sign with this Unix time in seconds instead of now, to test the
                     trigger's tolerance window
  --help             show this message

Exit code: 0 when n8n responds with 2xx, 1 on any other status or a network error, 2 on
invalid arguments.`;

const MIN_SECRET_LENGTH = 16;
const MAX_SECRET_LENGTH = 64;
const REQUEST_TIMEOUT_MS = 30_000;

export interface SendClaimArgs {
	url: string;
	secret: string;
	event: 'created' | 'updated';
	file?: string;
	timestampSeconds?: number;
}

export type ParsedSendClaimArgs =
	| { kind: 'send'; args: SendClaimArgs; warnings: string[] }
	| { kind: 'help' }
	| { kind: 'invalid'; error: string };

function errorMessage(error: unknown): string {
	// Checked by shape, not `instanceof Error`: errors from another realm fail that check.
	if (typeof error === 'object' && error !== null && 'message' in error) {
		const { message } = error as { message: unknown };
		if (typeof message === 'string') return message;
	}
	return String(error);
}

/** Parses the sender's command line. Never throws: invalid arguments come back as `invalid`. */
export function parseSendClaimArgs(argv: readonly string[]): ParsedSendClaimArgs {
	let values: Record<string, string | boolean | undefined>;
	try {
		({ values } = parseArgs({
			args: [...argv],
			options: {
				url: { type: 'string' },
				secret: { type: 'string' },
				event: { type: 'string' },
				file: { type: 'string' },
				timestamp: { type: 'string' },
				help: { type: 'boolean' },
			},
			strict: true,
			allowPositionals: false,
		}));
	} catch (error: unknown) {
		return { kind: 'invalid', error: errorMessage(error) };
	}
	if (values.help === true) return { kind: 'help' };

	const url = typeof values.url === 'string' ? values.url : undefined;
	const secret = typeof values.secret === 'string' ? values.secret : undefined;
	if (url === undefined || url === '') return { kind: 'invalid', error: '--url is missing.' };
	if (secret === undefined || secret === '') {
		return { kind: 'invalid', error: '--secret is missing.' };
	}

	let parsedUrl: URL;
	try {
		parsedUrl = new URL(url);
	} catch {
		return { kind: 'invalid', error: `--url is not a valid URL: ${url}` };
	}
	if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') {
		return { kind: 'invalid', error: `--url must start with http:// or https://, not ${url}` };
	}

	const event = values.event ?? 'created';
	if (event !== 'created' && event !== 'updated') {
		return { kind: 'invalid', error: `--event must be created or updated, not ${String(event)}.` };
	}
	const file = typeof values.file === 'string' ? values.file : undefined;
	if (file !== undefined && values.event !== undefined) {
		return {
			kind: 'invalid',
			error: '--event selects a built-in claim, so it cannot be combined with --file.',
		};
	}

	let timestampSeconds: number | undefined;
	if (values.timestamp !== undefined) {
		const text = String(values.timestamp);
		if (!/^\d{1,12}$/.test(text)) {
			return { kind: 'invalid', error: `--timestamp must be Unix seconds, not ${text}.` };
		}
		timestampSeconds = Number(text);
	}

	const warnings: string[] = [];
	if (secret.length < MIN_SECRET_LENGTH || secret.length > MAX_SECRET_LENGTH) {
		warnings.push(
			`The secret has ${secret.length} characters, but Karla's secrets have ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH}.`,
		);
	}
	return { kind: 'send', args: { url, secret, event, file, timestampSeconds }, warnings };
}

/** Builds the `Karla-Signature` header for the exact bytes of a body. */
export function buildSignatureHeader(
	secret: string,
	timestampSeconds: number,
	rawBody: Buffer,
): string {
	return `t=${timestampSeconds},v1=${computeSignature(secret, timestampSeconds, rawBody)}`;
}

export interface SignedDelivery {
	url: string;
	secret: string;
	rawBody: Buffer;
	timestampSeconds: number;
}

export interface DeliveryResponse {
	status: number;
	statusText: string;
	/** The response body as text, exactly as received. */
	body: string;
}

/**
 * POSTs the body with a `Karla-Signature` header, as Karla delivers a webhook, and returns the
 * response whatever its status. Rejects only when no response arrives.
 */
export async function sendSignedDelivery(delivery: SignedDelivery): Promise<DeliveryResponse> {
	const response = await axios.post<string>(delivery.url, delivery.rawBody, {
		headers: {
			'Content-Type': 'application/json',
			'Karla-Signature': buildSignatureHeader(
				delivery.secret,
				delivery.timestampSeconds,
				delivery.rawBody,
			),
			'User-Agent': 'n8n-nodes-karla send-claim',
		},
		// The body is signed byte for byte, so axios must neither re-encode it nor parse the reply.
		transformRequest: [(data: unknown) => data],
		transformResponse: [(data: unknown) => data],
		responseType: 'text',
		validateStatus: () => true,
		maxRedirects: 0,
		timeout: REQUEST_TIMEOUT_MS,
	});
	return {
		status: response.status,
		statusText: response.statusText,
		body: typeof response.data === 'string' ? response.data : String(response.data),
	};
}

export interface CommandOutput {
	out(text: string): void;
	err(text: string): void;
}

async function loadBody(args: SendClaimArgs): Promise<{ rawBody: Buffer; label: string }> {
	if (args.file !== undefined) {
		const rawBody = await readFile(args.file);
		return { rawBody, label: `${args.file} (${rawBody.length} bytes)` };
	}
	const event = buildRealisticClaimEvent({ ref: `claims/${args.event}` });
	const rawBody = Buffer.from(JSON.stringify(event), 'utf8');
	const claimId = (event.event_data as { claim_id: string }).claim_id;
	return { rawBody, label: `claims/${args.event} for claim ${claimId} (${rawBody.length} bytes)` };
}

/**
 * Runs the sender: parses the arguments, signs and sends the claim, and prints n8n's response.
 * Returns the process exit code. The secret is never printed.
 */
export async function runSendClaim(
	argv: readonly string[],
	output: CommandOutput,
	nowMs: number = Date.now(),
): Promise<number> {
	const parsed = parseSendClaimArgs(argv);
	if (parsed.kind === 'help') {
		output.out(SEND_CLAIM_USAGE);
		return 0;
	}
	if (parsed.kind === 'invalid') {
		output.err(`Error: ${parsed.error}\n\n${SEND_CLAIM_USAGE}`);
		return 2;
	}
	for (const warning of parsed.warnings) output.err(`Warning: ${warning}`);

	const { args } = parsed;
	let body: { rawBody: Buffer; label: string };
	try {
		body = await loadBody(args);
	} catch (error: unknown) {
		output.err(`Error: cannot read ${String(args.file)}: ${errorMessage(error)}`);
		return 2;
	}

	const timestampSeconds = args.timestampSeconds ?? Math.floor(nowMs / 1000);
	output.err(`Sending ${body.label} to ${args.url}, signed with t=${timestampSeconds}`);
	let response: DeliveryResponse;
	try {
		response = await sendSignedDelivery({
			url: args.url,
			secret: args.secret,
			rawBody: body.rawBody,
			timestampSeconds,
		});
	} catch (error: unknown) {
		output.err(`Error: the request to ${args.url} failed: ${errorMessage(error)}`);
		return 1;
	}

	output.out(`HTTP ${response.status} ${response.statusText}`.trimEnd());
	if (response.body !== '') output.out(response.body);
	return response.status >= 200 && response.status < 300 ? 0 : 1;
}
