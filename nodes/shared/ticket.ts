/**
 * Labels, tags and ticket texts built from a normalized claim. All functions are pure and take
 * values that normalization has already cleaned, so none of them can throw on payload shapes.
 */

/** Maximum subject length in characters, so that subjects stay under 150 characters. */
export const MAX_SUBJECT_LENGTH = 149;

/** Fields of a normalized claim that the ticket texts use. */
export interface TicketSource {
	claim_id: string;
	status: string | null;
	reason_label: string | null;
	resolution_label: string | null;
	description: string;
	customer_email: string | null;
	customer_name: string | null;
	customer_phone: string | null;
	order_number: string | null;
	order_external_id: string | null;
	shipping_address_text: string | null;
	items_summary_lines: string[];
	photo_urls: string[];
	tracking_numbers: string[];
}

/**
 * Turns an enumeration value into a label for people: `partial_damage` becomes
 * `Partial damage`. Underscores become spaces, runs of spaces shrink to one, and the first letter
 * is capitalized. A value written all in capitals (`LOST_IN_TRANSIT`) is lower-cased first.
 * Returns null for null or blank input.
 */
export function humanizeLabel(value: string | null): string | null {
	if (value === null) return null;
	let text = value.replace(/_/g, ' ').replace(/\s+/g, ' ').trim();
	if (text === '') return null;
	if (text === text.toUpperCase()) text = text.toLowerCase();
	return text.charAt(0).toUpperCase() + text.slice(1);
}

const HTML_ESCAPES: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;',
};

/** Escapes the five characters that are special in HTML text and attribute values. */
export function escapeHtml(text: string): string {
	if (!/[&<>"']/.test(text)) return text;
	return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}

/**
 * Turns a value into a tag part: lower-case ASCII letters, digits and underscores. Accents are
 * dropped (`beschädigt` becomes `beschadigt`); other runs of characters become one underscore.
 */
const PLAIN_TAG_PART = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;

export function toTagPart(value: string): string {
	// Karla's own values (partial_damage, refund) are already tag parts.
	if (PLAIN_TAG_PART.test(value)) return value;
	return value
		.normalize('NFKD')
		.replace(/[\u0300-\u036f]/g, '')
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '_')
		.replace(/^_+|_+$/g, '');
}

/** Builds the ticket tags: `karla`, `claim`, then reason, resolution and status tags. */
export function buildTicketTags(claim: {
	reason: string | null;
	resolution_preference: string | null;
	status: string | null;
}): string[] {
	const tags = ['karla', 'claim'];
	const add = (prefix: string, value: string | null) => {
		if (value === null) return;
		const part = toTagPart(value);
		if (part !== '' && !tags.includes(`${prefix}${part}`)) tags.push(`${prefix}${part}`);
	};
	add('reason_', claim.reason);
	add('prefers_', claim.resolution_preference);
	add('status_', claim.status);
	return tags;
}

function oneLine(text: string): string {
	return text
		.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
		.replace(/\s+/g, ' ')
		.trim();
}

function truncate(text: string, maxLength: number): string {
	// A string has at least as many UTF-16 units as code points, so a short one needs no split.
	if (text.length <= maxLength) return text;
	const characters = Array.from(text);
	if (characters.length <= maxLength) return text;
	return `${characters
		.slice(0, maxLength - 1)
		.join('')
		.trimEnd()}…`;
}

/**
 * Builds a one-line subject under 150 characters that names the order and the reason, such as
 * `Claim for order 1001: Partial damage (refund requested)`. Created and updated events of one
 * claim get the same subject, so helpdesks that thread by subject keep them together.
 */
export function buildTicketSubject(
	claim: Pick<TicketSource, 'claim_id' | 'order_number' | 'reason_label' | 'resolution_label'>,
): string {
	let subject =
		claim.order_number !== null
			? `Claim for order ${claim.order_number}`
			: `Claim ${claim.claim_id}`;
	if (claim.reason_label !== null) subject += `: ${claim.reason_label}`;
	if (claim.resolution_label !== null) {
		subject += ` (${claim.resolution_label.toLowerCase()} requested)`;
	}
	return truncate(oneLine(subject), MAX_SUBJECT_LENGTH);
}

function customerLine(claim: TicketSource): string | null {
	const { customer_name: name, customer_email: email } = claim;
	if (name !== null && email !== null) return `${name} <${email}>`;
	return name ?? email;
}

function orderLine(claim: TicketSource): string | null {
	const { order_number: number, order_external_id: externalId } = claim;
	if (number !== null && externalId !== null && externalId !== number) {
		return `${number} (${externalId})`;
	}
	return number ?? externalId;
}

/** Builds the plain-text ticket body; sections without data are left out. */
export function buildTicketBodyText(claim: TicketSource): string {
	const sections: string[] = [];
	const facts = [
		`Reason: ${claim.reason_label ?? 'not given'}`,
		`Preferred resolution: ${claim.resolution_label ?? 'not given'}`,
	];
	if (claim.status !== null) facts.push(`Status: ${humanizeLabel(claim.status)}`);
	sections.push(facts.join('\n'));

	if (claim.description.trim() !== '') sections.push(`Description:\n${claim.description}`);
	if (claim.items_summary_lines.length > 0) {
		sections.push(`Items:\n${claim.items_summary_lines.map((line) => `- ${line}`).join('\n')}`);
	}
	if (claim.photo_urls.length > 0) {
		sections.push(`Photos:\n${claim.photo_urls.map((url) => `- ${url}`).join('\n')}`);
	}

	const details: string[] = [];
	const order = orderLine(claim);
	if (order !== null) details.push(`Order: ${order}`);
	const customer = customerLine(claim);
	if (customer !== null) details.push(`Customer: ${customer}`);
	if (claim.customer_phone !== null) details.push(`Phone: ${claim.customer_phone}`);
	if (claim.shipping_address_text !== null) {
		details.push(`Shipping address: ${claim.shipping_address_text}`);
	}
	if (claim.tracking_numbers.length > 0) {
		details.push(`Tracking: ${claim.tracking_numbers.join(', ')}`);
	}
	details.push(`Karla claim ID: ${claim.claim_id}`);
	sections.push(details.join('\n'));

	return sections.join('\n\n');
}

/** Returns true for URLs that are safe as a link target: only http and https. */
function isLinkable(url: string): boolean {
	// Only http(s) URLs become links, so other strings are turned away before a URL is parsed.
	if (!/^https?:/i.test(url)) return false;
	try {
		const { protocol } = new URL(url);
		return protocol === 'https:' || protocol === 'http:';
	} catch {
		return false;
	}
}

function htmlFact(label: string, value: string): string {
	return `<p><strong>${label}:</strong> ${escapeHtml(value)}</p>`;
}

function htmlList(items: string[]): string {
	return `<ul>${items.map((item) => `<li>${item}</li>`).join('')}</ul>`;
}

/**
 * Builds the HTML ticket body with the same content as the text body. Every value from the
 * payload is HTML-escaped, and only http and https URLs become links.
 */
export function buildTicketBodyHtml(claim: TicketSource): string {
	const parts: string[] = [
		htmlFact('Reason', claim.reason_label ?? 'not given'),
		htmlFact('Preferred resolution', claim.resolution_label ?? 'not given'),
	];
	if (claim.status !== null) parts.push(htmlFact('Status', humanizeLabel(claim.status) ?? ''));

	if (claim.description.trim() !== '') {
		const description = escapeHtml(claim.description).replace(/\r\n|\r|\n/g, '<br>');
		parts.push(`<p><strong>Description:</strong><br>${description}</p>`);
	}
	if (claim.items_summary_lines.length > 0) {
		parts.push('<p><strong>Items:</strong></p>');
		parts.push(htmlList(claim.items_summary_lines.map(escapeHtml)));
	}
	if (claim.photo_urls.length > 0) {
		parts.push('<p><strong>Photos:</strong></p>');
		const links = claim.photo_urls.map((url) =>
			isLinkable(url) ? `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>` : escapeHtml(url),
		);
		parts.push(htmlList(links));
	}

	const order = orderLine(claim);
	if (order !== null) parts.push(htmlFact('Order', order));
	const customer = customerLine(claim);
	if (customer !== null) parts.push(htmlFact('Customer', customer));
	if (claim.customer_phone !== null) parts.push(htmlFact('Phone', claim.customer_phone));
	if (claim.shipping_address_text !== null) {
		parts.push(htmlFact('Shipping address', claim.shipping_address_text));
	}
	if (claim.tracking_numbers.length > 0) {
		parts.push(htmlFact('Tracking', claim.tracking_numbers.join(', ')));
	}
	parts.push(htmlFact('Karla claim ID', claim.claim_id));

	return parts.join('\n');
}
