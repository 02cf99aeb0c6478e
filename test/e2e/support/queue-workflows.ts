import { buildClaimWorkflow } from '../../../scripts/lib/workflows';

export interface AutomaticWorkflowOptions {
	workflowId: string;
	webhookId: string;
	/** Id of an imported `karlaApi` credential. */
	credentialId: string;
	ticketsUrl: string;
}

interface WorkflowJson {
	nodes: Array<{ type: string; parameters: Record<string, unknown>; credentials?: object }>;
}

/**
 * Builds the example workflow with the trigger in automatic registration mode: publishing it
 * registers the production URL through the Karla API credential instead of a pasted secret.
 */
export function automaticRegistrationWorkflow(options: AutomaticWorkflowOptions): object {
	const workflow = buildClaimWorkflow({
		packageMode: 'community',
		workflowId: options.workflowId,
		webhookId: options.webhookId,
		credentialId: options.credentialId,
		ticketsUrl: options.ticketsUrl,
	}) as WorkflowJson;
	const trigger = workflow.nodes.find((node) => node.type.endsWith('.karlaClaimTrigger'));
	if (trigger === undefined) throw new Error('The example workflow has no Karla Claim Trigger');
	trigger.parameters.registration = 'automatic';
	trigger.credentials = { karlaApi: { id: options.credentialId, name: 'Karla API' } };
	return workflow;
}

export interface PhotoWorkflowOptions {
	workflowId: string;
	webhookId: string;
	/** Id of an imported `karlaSigningSecretApi` credential. */
	credentialId: string;
}

/**
 * Builds the example workflow without the helpdesk step and with photo downloads on: Normalize
 * fetches the claim's photos over HTTP from localhost and attaches them as binary properties.
 */
export function photoWorkflow(options: PhotoWorkflowOptions): object {
	const workflow = buildClaimWorkflow({
		packageMode: 'community',
		workflowId: options.workflowId,
		webhookId: options.webhookId,
		credentialId: options.credentialId,
	}) as WorkflowJson;
	const normalize = workflow.nodes.find((node) => node.type.endsWith('.karlaClaimNormalize'));
	if (normalize === undefined) throw new Error('The example workflow has no Karla Claim Normalize');
	normalize.parameters.options = {
		downloadPhotos: true,
		allowedHosts: 'localhost',
		allowHttp: true,
	};
	return workflow;
}
