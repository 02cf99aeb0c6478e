/**
 * File names and MIME types for downloaded photos, chosen so that helpdesks accept the
 * attachment: a plain base name with an extension that matches the content.
 */

export const GENERIC_MIME_TYPES: readonly string[] = [
	'application/octet-stream',
	'binary/octet-stream',
	'application/binary',
	'application/unknown',
];

const EXTENSION_BY_MIME_TYPE: Record<string, string> = {
	'image/jpeg': 'jpg',
	'image/pjpeg': 'jpg',
	'image/png': 'png',
	'image/webp': 'webp',
	'image/gif': 'gif',
	'image/heic': 'heic',
	'image/heif': 'heif',
	'image/avif': 'avif',
	'image/bmp': 'bmp',
	'image/tiff': 'tiff',
	'image/svg+xml': 'svg',
	'application/pdf': 'pdf',
	'video/mp4': 'mp4',
	'video/quicktime': 'mov',
};

/** Maximum file name length in characters; longer names are cut before the extension. */
export const MAX_FILE_NAME_LENGTH = 180;

/** Returns the extension for a MIME type without the dot, or `bin` when it is not known. */
export function extensionForMimeType(mimeType: string): string {
	return EXTENSION_BY_MIME_TYPE[mimeType.toLowerCase()] ?? 'bin';
}

/** Lower-cases a Content-Type header value and drops its parameters; null when empty. */
export function parseContentType(header: unknown): string | null {
	if (typeof header !== 'string') return null;
	const type = header.split(';')[0].trim().toLowerCase();
	return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? type : null;
}

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
	if (bytes.length < offset + signature.length) return false;
	return signature.every((byte, i) => bytes[offset + i] === byte);
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
	return String.fromCharCode(...bytes.subarray(from, to));
}

const HEIC_BRANDS = ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis'];
const HEIF_BRANDS = ['mif1', 'msf1'];

/**
 * Detects JPEG, PNG, WebP, GIF and HEIC/HEIF from a file's first bytes. Returns the MIME type,
 * or null when the bytes match none of them.
 */
export function sniffImageMimeType(bytes: Uint8Array): string | null {
	if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
	if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
	if (bytes.length >= 6 && /^GIF8[79]a$/.test(ascii(bytes, 0, 6))) return 'image/gif';
	if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') {
		return 'image/webp';
	}

	// ISO base media files: a box size, then `ftyp`, the major brand and compatible brands.
	if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp') {
		const boxSize = (bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3];
		const end = Math.min(bytes.length, boxSize > 16 ? boxSize : 16);
		const brands = [ascii(bytes, 8, 12)];
		for (let offset = 16; offset + 4 <= end; offset += 4)
			brands.push(ascii(bytes, offset, offset + 4));
		if (HEIC_BRANDS.includes(brands[0])) return 'image/heic';
		if (brands.some((brand) => HEIC_BRANDS.includes(brand))) return 'image/heic';
		if (brands.some((brand) => HEIF_BRANDS.includes(brand))) return 'image/heif';
	}
	return null;
}

/**
 * Chooses the MIME type of a download: the response's Content-Type, unless it is missing or a
 * generic type such as `application/octet-stream`. Then the type is sniffed from the bytes, and
 * bytes that match no known image keep `application/octet-stream`.
 */
export function resolveMimeType(contentType: unknown, bytes: Uint8Array): string {
	const declared = parseContentType(contentType);
	if (declared !== null && !GENERIC_MIME_TYPES.includes(declared)) return declared;
	return sniffImageMimeType(bytes) ?? 'application/octet-stream';
}

function decodePercentEncoded(text: string, charset: string): string | null {
	if (charset === 'utf-8' || charset === '') {
		try {
			return decodeURIComponent(text);
		} catch {
			return null;
		}
	}
	if (charset === 'iso-8859-1' || charset === 'latin1') {
		return text.replace(/%([0-9a-f]{2})/gi, (_, hex: string) =>
			String.fromCharCode(parseInt(hex, 16)),
		);
	}
	return null;
}

/** Splits a header value into `key=value` parameters, honoring quoted strings. */
function parseHeaderParameters(header: string): Map<string, string> {
	const parameters = new Map<string, string>();
	const pattern = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
	for (const match of header.matchAll(pattern)) {
		const key = match[1].toLowerCase();
		let value = match[2].trim();
		if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
		if (!parameters.has(key)) parameters.set(key, value);
	}
	return parameters;
}

/**
 * Reads the file name from a Content-Disposition header: `filename*` (RFC 8187, UTF-8 or
 * ISO-8859-1) first, then `filename`. Returns the raw name, or null when neither is usable.
 */
export function fileNameFromContentDisposition(header: unknown): string | null {
	if (typeof header !== 'string' || header.trim() === '') return null;
	const parameters = parseHeaderParameters(`;${header.replace(/^[^;]*/, '')}`);

	const extended = parameters.get('filename*');
	if (extended !== undefined) {
		const match = /^([^']*)'[^']*'(.*)$/.exec(extended);
		if (match !== null) {
			const decoded = decodePercentEncoded(match[2], match[1].trim().toLowerCase());
			if (decoded !== null && decoded.trim() !== '') return decoded;
		}
	}

	const plain = parameters.get('filename');
	return plain !== undefined && plain.trim() !== '' ? plain : null;
}

/** Returns the percent-decoded last path segment of a URL, without its query; null when empty. */
export function fileNameFromUrl(url: URL): string | null {
	const segments = url.pathname.split('/');
	const last = segments[segments.length - 1];
	if (last === '') return null;
	try {
		return decodeURIComponent(last);
	} catch {
		return last;
	}
}

function splitExtension(fileName: string): { stem: string; extension: string } {
	const dot = fileName.lastIndexOf('.');
	if (dot <= 0 || dot === fileName.length - 1) return { stem: fileName, extension: '' };
	return { stem: fileName.slice(0, dot), extension: fileName.slice(dot + 1) };
}

/**
 * Makes a name safe to use as an attachment name: drops any directory part, turns control
 * characters into spaces, drops characters that Windows forbids, trims dots and spaces at the
 * ends and caps the length. Returns null when nothing usable is left.
 */
export function sanitizeFileName(name: string): string | null {
	const base = name.split(/[/\\]/).pop() ?? '';
	const cleaned = base
		.replace(/[\u0000-\u001f\u007f]/g, ' ')
		.replace(/[<>:"|?*]/g, '')
		.replace(/\s+/g, ' ')
		.replace(/^[\s.]+|[\s.]+$/g, '');
	if (cleaned === '') return null;
	const characters = Array.from(cleaned);
	if (characters.length <= MAX_FILE_NAME_LENGTH) return cleaned;

	const { stem, extension } = splitExtension(cleaned);
	const suffix = extension === '' ? '' : `.${Array.from(extension).slice(0, 16).join('')}`;
	return (
		Array.from(stem)
			.slice(0, MAX_FILE_NAME_LENGTH - suffix.length)
			.join('') + suffix
	);
}

/** Appends the extension for the MIME type when the name has none. */
export function ensureExtension(fileName: string, mimeType: string): string {
	if (splitExtension(fileName).extension !== '') return fileName;
	const extension = extensionForMimeType(mimeType);
	return `${fileName}.${extension}`;
}

/** Builds `claim-<claim_id>-photo-<n>.<ext>`; `photoNumber` counts from 1. */
export function fallbackFileName(claimId: string, photoNumber: number, mimeType: string): string {
	const safeId =
		claimId
			.replace(/[^A-Za-z0-9._-]+/g, '-')
			.replace(/^-+|-+$/g, '')
			.slice(0, 80) || 'unknown';
	return `claim-${safeId}-photo-${photoNumber}.${extensionForMimeType(mimeType)}`;
}

/**
 * Picks a download's file name: Content-Disposition, else the URL's last path segment, else the
 * claim-based fallback. The name always ends in an extension.
 */
export function chooseFileName(input: {
	contentDisposition: unknown;
	url: URL;
	claimId: string;
	photoNumber: number;
	mimeType: string;
}): string {
	const candidates = [
		fileNameFromContentDisposition(input.contentDisposition),
		fileNameFromUrl(input.url),
	];
	for (const candidate of candidates) {
		const safe = candidate === null ? null : sanitizeFileName(candidate);
		if (safe !== null) return ensureExtension(safe, input.mimeType);
	}
	return fallbackFileName(input.claimId, input.photoNumber, input.mimeType);
}

/**
 * Returns `fileName`, or `<stem>-2.<ext>`, `<stem>-3.<ext>` ... when a name that differs only in
 * letter case is already taken, and records the result in `usedNames` (lower-case names).
 */
export function reserveUniqueFileName(fileName: string, usedNames: Set<string>): string {
	let candidate = fileName;
	const { stem, extension } = splitExtension(fileName);
	for (let n = 2; usedNames.has(candidate.toLowerCase()); n++) {
		candidate = extension === '' ? `${stem}-${n}` : `${stem}-${n}.${extension}`;
	}
	usedNames.add(candidate.toLowerCase());
	return candidate;
}
