import { packageNodeType, type PackageMode } from './n8n-harness';

/**
 * Workflow and credential JSON in the shape `n8n import:workflow` and `n8n import:credentials`
 * read. The example workflow is Karla Claim Trigger, then Karla Claim Normalize, then an HTTP
 * Request node that creates a ticket in a helpdesk.
 */

export interface SigningCredentialOptions {
	id: string;
	name?: string;
	signingSecret: string;
	previousSigningSecret?: string;
}

/** Builds a `karlaSigningSecretApi` credential for import. */
export function buildSigningCredential(options: SigningCredentialOptions): object {
	return {
		id: options.id,
		name: options.name ?? 'Karla Signing Secret',
		type: 'karlaSigningSecretApi',
		data: {
			signingSecret: options.signingSecret,
			previousSigningSecret: options.previousSigningSecret ?? '',
		},
	};
}

export interface ClaimWorkflowOptions {
	packageMode: PackageMode;
	/** n8n workflow id: 16 letters and digits. */
	workflowId: string;
	name?: string;
	/** Fixes the production URL: `/webhook/<webhookId>/karla`. */
	webhookId: string;
	credentialId: string;
	credentialName?: string;
	/** URL the HTTP Request node POSTs each ticket to; without it the workflow ends at Normalize. */
	ticketsUrl?: string;
	/** Trigger parameter `events`; both claim events by default. */
	events?: string[];
	/** Trigger parameter `options`. */
	triggerOptions?: Record<string, unknown>;
	/** Leaves the Normalize node out, so the workflow is the trigger alone. */
	triggerOnly?: boolean;
	/** Karla Claim Trigger's node version; 1.1, the version new nodes get, by default. */
	triggerVersion?: number;
}

/** Path of the trigger's production webhook, to pass to `RunningN8n.webhookUrl`. */
export function claimWebhookPath(webhookId: string): string {
	return `${webhookId}/karla`;
}

/**
 * Expression of the ticket body: the fields a helpdesk's create-ticket call takes, mapped from
 * Karla Claim Normalize's output.
 */
const TICKET_BODY_EXPRESSION = `={{ JSON.stringify({
  subject: $json.ticket_subject,
  body_html: $json.ticket_body_html,
  requester: { name: $json.customer_name, email: $json.customer_email },
  tags: $json.ticket_tags,
  external_id: $json.ticket_external_id,
  dedupe_key: $json.dedupe_key,
  claim: {
    id: $json.claim_id,
    event: $json.event,
    status: $json.status,
    reason: $json.reason,
    resolution_preference: $json.resolution_preference,
    order_number: $json.order_number,
    items: $json.items,
    item_count: $json.item_count,
    items_summary: $json.items_summary,
    photo_urls: $json.photo_urls,
    photo_count: $json.photo_count
  }
}) }}`;

/** Builds the example workflow for import. */
export function buildClaimWorkflow(options: ClaimWorkflowOptions): object {
	const trigger = {
		id: 'a7c1f0de-0001-4c5e-9a11-000000000001',
		name: 'Karla Claim Trigger',
		type: packageNodeType(options.packageMode, 'karlaClaimTrigger'),
		typeVersion: options.triggerVersion ?? 1.1,
		position: [0, 0],
		webhookId: options.webhookId,
		parameters: {
			events: options.events ?? ['claims/created', 'claims/updated'],
			options: options.triggerOptions ?? {},
		},
		credentials: {
			karlaSigningSecretApi: {
				id: options.credentialId,
				name: options.credentialName ?? 'Karla Signing Secret',
			},
		},
	};
	const normalize = {
		id: 'a7c1f0de-0002-4c5e-9a11-000000000002',
		name: 'Karla Claim Normalize',
		type: packageNodeType(options.packageMode, 'karlaClaimNormalize'),
		typeVersion: 1,
		position: [260, 0],
		parameters: { output: 'perClaim', options: {} },
	};
	const createTicket = {
		id: 'a7c1f0de-0003-4c5e-9a11-000000000003',
		name: 'Create Helpdesk Ticket',
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [520, 0],
		parameters: {
			method: 'POST',
			url: options.ticketsUrl ?? '',
			sendBody: true,
			specifyBody: 'json',
			jsonBody: TICKET_BODY_EXPRESSION,
			options: {},
		},
	};

	const nodes: object[] = [trigger];
	const connections: Record<string, unknown> = {};
	if (!options.triggerOnly) {
		nodes.push(normalize);
		connections[trigger.name] = { main: [[{ node: normalize.name, type: 'main', index: 0 }]] };
		if (options.ticketsUrl !== undefined) {
			nodes.push(createTicket);
			connections[normalize.name] = {
				main: [[{ node: createTicket.name, type: 'main', index: 0 }]],
			};
		}
	}

	return {
		id: options.workflowId,
		name: options.name ?? 'Karla claims to helpdesk tickets',
		active: false,
		nodes,
		connections,
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}
