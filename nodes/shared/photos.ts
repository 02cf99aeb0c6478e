import { classifyIpAddress, type ForbiddenAddressKind } from './ip-address';

/** Host that serves Karla's claim photos; its subdomains are allowed too. */
export const DEFAULT_ALLOWED_HOSTS = 'cdn.gokarla.io';
export const DEFAULT_MAX_PHOTO_SIZE_MB = 10;
export const DEFAULT_MAX_PHOTOS_PER_CLAIM = 10;
export const DEFAULT_PHOTO_TIMEOUT_SECONDS = 15;
/** Redirects followed per photo; each hop is checked against the policy again. */
export const MAX_REDIRECTS = 5;
export const BYTES_PER_MB = 1024 * 1024;

/** Rules that every photo URL and every redirect target must pass before a request is sent. */
export interface PhotoPolicy {
	/** Lower-case host names; each also allows its subdomains. `*` allows every host. */
	allowedHosts: string[];
	/** Allow plain `http:` URLs besides `https:`. */
	allowHttp: boolean;
	/**
	 * Allow IP literals in loopback, private and link-local ranges, but never metadata addresses.
	 * The node never sets it; it exists for code that fetches from a local test server.
	 */
	allowPrivateAddresses: boolean;
	maxBytes: number;
	maxPhotos: number;
	timeoutMs: number;
	maxRedirects: number;
}

export interface PhotoPolicySettings {
	allowedHosts?: string;
	allowHttp?: boolean;
	allowPrivateAddresses?: boolean;
	maxPhotoSizeMb?: number;
	maxPhotosPerClaim?: number;
	photoTimeoutSeconds?: number;
	maxRedirects?: number;
}

/** Reason codes for a URL that is rejected before any request is sent. */
export type UrlRejection =
	| 'invalid_url'
	| 'scheme_not_allowed'
	| 'credentials_in_url'
	| 'address_not_allowed'
	| 'host_not_allowed';

export type UrlCheck =
	{ allowed: true; url: URL } | { allowed: false; reason: UrlRejection; detail: string };

function positiveOr(value: number | undefined, fallback: number): number {
	return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * Normalizes one allow-list entry to the host name the WHATWG URL parser would produce, so that
 * `CDN.GoKarla.io.`, `*.cdn.gokarla.io` and an internationalized name compare correctly. Returns
 * null for an entry that is not a host name.
 */
function normalizeAllowedHost(entry: string): string | null {
	let host = entry.trim().toLowerCase();
	if (host === '*') return host;
	host = host.replace(/^\*?\./, '').replace(/\.$/, '');
	if (host === '' || /[/?#@\s]/.test(host)) return null;
	try {
		return new URL(`https://${host}/`).hostname.replace(/\.$/, '');
	} catch {
		return null;
	}
}

/** Splits the comma-separated allow-list setting into normalized host names. Never throws. */
export function parseAllowedHosts(setting: string | undefined): string[] {
	if (typeof setting !== 'string') return [];
	const hosts: string[] = [];
	for (const entry of setting.split(',')) {
		const host = normalizeAllowedHost(entry);
		if (host !== null && !hosts.includes(host)) hosts.push(host);
	}
	return hosts;
}

/** Builds a policy from the node's settings, with the defaults for anything unset or invalid. */
export function buildPhotoPolicy(settings: PhotoPolicySettings = {}): PhotoPolicy {
	return {
		allowedHosts: parseAllowedHosts(settings.allowedHosts ?? DEFAULT_ALLOWED_HOSTS),
		allowHttp: settings.allowHttp === true,
		allowPrivateAddresses: settings.allowPrivateAddresses === true,
		maxBytes: Math.floor(
			positiveOr(settings.maxPhotoSizeMb, DEFAULT_MAX_PHOTO_SIZE_MB) * BYTES_PER_MB,
		),
		maxPhotos: Math.floor(positiveOr(settings.maxPhotosPerClaim, DEFAULT_MAX_PHOTOS_PER_CLAIM)),
		timeoutMs: Math.floor(
			positiveOr(settings.photoTimeoutSeconds, DEFAULT_PHOTO_TIMEOUT_SECONDS) * 1000,
		),
		maxRedirects:
			typeof settings.maxRedirects === 'number' && settings.maxRedirects >= 0
				? Math.floor(settings.maxRedirects)
				: MAX_REDIRECTS,
	};
}

/** Returns true when the host equals an allow-list entry or is a subdomain of one. */
export function isHostAllowed(hostname: string, allowedHosts: readonly string[]): boolean {
	const host = hostname.toLowerCase().replace(/\.$/, '');
	return allowedHosts.some(
		(allowed) => allowed === '*' || host === allowed || host.endsWith(`.${allowed}`),
	);
}

function describeAddress(kind: ForbiddenAddressKind): string {
	return kind.replace(/_/g, ' ');
}

/**
 * Checks one photo URL, or one redirect target, against the policy. Parses the URL once with the
 * WHATWG parser, which percent-encodes spaces and non-ASCII characters in the path, leaves
 * existing `%XX` escapes alone and writes numeric hosts such as `0x7f.1` as `127.0.0.1`. The
 * returned URL is the one to request. Never throws.
 */
export function checkPhotoUrl(input: string | URL, policy: PhotoPolicy, base?: URL): UrlCheck {
	let url: URL;
	try {
		url = typeof input === 'string' ? new URL(input.trim(), base) : input;
	} catch {
		return { allowed: false, reason: 'invalid_url', detail: 'The URL cannot be parsed' };
	}

	const schemeAllowed = url.protocol === 'https:' || (url.protocol === 'http:' && policy.allowHttp);
	if (!schemeAllowed) {
		const expected = policy.allowHttp ? 'http or https' : 'https';
		return {
			allowed: false,
			reason: 'scheme_not_allowed',
			detail: `The URL scheme ${url.protocol.replace(/:$/, '')} is not allowed, only ${expected}`,
		};
	}

	if (url.username !== '' || url.password !== '') {
		return {
			allowed: false,
			reason: 'credentials_in_url',
			detail: 'URLs with a user name or password are not fetched',
		};
	}

	// Metadata endpoints hand out cloud credentials, so they stay rejected even for local tests.
	const addressKind = classifyIpAddress(url.hostname);
	const addressRejected =
		addressKind === 'metadata' ||
		(addressKind !== undefined && addressKind !== null && !policy.allowPrivateAddresses);
	if (addressKind !== undefined && addressKind !== null && addressRejected) {
		return {
			allowed: false,
			reason: 'address_not_allowed',
			detail: `The host ${url.hostname} is a ${describeAddress(addressKind)} address`,
		};
	}

	if (!isHostAllowed(url.hostname, policy.allowedHosts)) {
		return {
			allowed: false,
			reason: 'host_not_allowed',
			detail: `The host ${url.hostname} is not in the allowed hosts`,
		};
	}

	return { allowed: true, url };
}
