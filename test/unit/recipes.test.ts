import { readdirSync, readFileSync } from 'fs';
import { join, resolve } from 'path';

/**
 * Conventions every recipe in examples/ follows, so that it imports and reads the same way as
 * the others. Whether n8n accepts the files and runs them is the end-to-end tests' part.
 */

const ROOT = resolve(__dirname, '..', '..');
const EXAMPLES_DIR = join(ROOT, 'examples');
/** The workflow of `npm run demo`, which belongs to the demo script and is not a recipe. */
const DEMO_FILE = 'demo-workflow.json';
const TRIGGER_TYPE = 'n8n-nodes-karla.karlaClaimTrigger';
const NORMALIZE_TYPE = 'n8n-nodes-karla.karlaClaimNormalize';
const STICKY_TYPE = 'n8n-nodes-base.stickyNote';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface WorkflowNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
	webhookId?: string;
	credentials?: Record<string, { id: string; name: string }>;
}

interface Connection {
	node: string;
	type: string;
	index: number;
}

interface Workflow {
	name: string;
	nodes: WorkflowNode[];
	connections: Record<string, { main?: Connection[][] }>;
	settings?: Record<string, unknown>;
}

function readWorkflow(file: string): Workflow {
	return JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as Workflow;
}

const exampleFiles = readdirSync(EXAMPLES_DIR)
	.filter((file) => file.endsWith('.json'))
	.sort();
const recipeFiles = exampleFiles.filter((file) => file !== DEMO_FILE);

function children(workflow: Workflow, name: string): string[] {
	return (workflow.connections[name]?.main ?? []).flat().map((connection) => connection.node);
}

function nodeOfType(workflow: Workflow, type: string): WorkflowNode[] {
	return workflow.nodes.filter((node) => node.type === type);
}

function stickyText(workflow: Workflow): string {
	return nodeOfType(workflow, STICKY_TYPE)
		.map((node) => String(node.parameters.content ?? ''))
		.join('\n');
}

function settingsFields(workflow: Workflow): Map<string, unknown> {
	const settings = workflow.nodes.find((node) => node.name === 'Settings');
	const assignments = (settings?.parameters.assignments as { assignments?: unknown[] })
		?.assignments;
	const fields = new Map<string, unknown>();
	for (const assignment of assignments ?? []) {
		const { name, value } = assignment as { name: string; value: unknown };
		fields.set(name, value);
	}
	return fields;
}

/** Joins the parameters of the workflow's nodes into one text to search expressions in. */
function parameterText(workflow: Workflow): string {
	return workflow.nodes
		.filter((node) => node.type !== STICKY_TYPE)
		.map((node) => JSON.stringify(node.parameters))
		.join('\n');
}

describe('recipe files', () => {
	it('examples folder has the seven recipes', () => {
		expect(recipeFiles).toEqual([
			'fan-out-gorgias-and-internal-tool.json',
			'freshdesk-ticket.json',
			'gorgias-ticket.json',
			'intercom-ticket.json',
			'internal-tool-ticket.json',
			'no-duplicate-tickets.json',
			'zendesk-ticket.json',
		]);
	});

	it.each(recipeFiles)('%s starts with trigger then normalize', (file) => {
		const workflow = readWorkflow(file);
		const [trigger] = nodeOfType(workflow, TRIGGER_TYPE);
		const [normalize] = nodeOfType(workflow, NORMALIZE_TYPE);
		expect(trigger?.name).toBe('Karla Claim Trigger');
		expect(normalize?.name).toBe('Karla Claim Normalize');
		expect(children(workflow, trigger.name)).toEqual([normalize.name]);
		expect(trigger.parameters.events).toEqual(['claims/created']);
		expect(trigger.webhookId).toMatch(UUID);
	});

	it.each(exampleFiles)('%s uses package node types', (file) => {
		const types = readWorkflow(file).nodes.map((node) => node.type);
		expect(types.filter((type) => type.startsWith('CUSTOM.'))).toEqual([]);
		expect(
			types
				.filter((type) => type.startsWith('n8n-nodes-karla.'))
				.every((type) => [TRIGGER_TYPE, NORMALIZE_TYPE].includes(type)),
		).toBe(true);
	});

	it.each(recipeFiles)('%s connects every node', (file) => {
		const workflow = readWorkflow(file);
		const names = new Set(workflow.nodes.map((node) => node.name));
		expect(names.size).toBe(workflow.nodes.length);
		expect(new Set(workflow.nodes.map((node) => node.id)).size).toBe(workflow.nodes.length);
		expect(workflow.nodes.every((node) => UUID.test(node.id))).toBe(true);

		for (const [source, outputs] of Object.entries(workflow.connections)) {
			expect(names.has(source)).toBe(true);
			for (const connection of (outputs.main ?? []).flat()) {
				expect(names.has(connection.node)).toBe(true);
			}
		}
		const targets = new Set(
			Object.values(workflow.connections).flatMap((outputs) =>
				(outputs.main ?? []).flat().map((connection) => connection.node),
			),
		);
		const unconnected = workflow.nodes.filter(
			(node) => node.type !== STICKY_TYPE && node.type !== TRIGGER_TYPE && !targets.has(node.name),
		);
		expect(unconnected.map((node) => node.name)).toEqual([]);
		expect(workflow.settings).toEqual({ executionOrder: 'v1' });
	});

	it.each(recipeFiles)('%s references credentials by placeholder', (file) => {
		for (const node of readWorkflow(file).nodes) {
			for (const reference of Object.values(node.credentials ?? {})) {
				expect(reference.id).toMatch(/^REPLACE_[a-z_]+$/);
				expect(reference.name).not.toBe('');
			}
			if (node.type !== 'n8n-nodes-base.httpRequest') continue;
			const { authentication, nodeCredentialType, genericAuthType } = node.parameters;
			const expectedType =
				authentication === 'predefinedCredentialType' ? nodeCredentialType : genericAuthType;
			expect(Object.keys(node.credentials ?? {})).toEqual([expectedType]);
		}
	});

	it.each(recipeFiles)('%s has a setup note', (file) => {
		const workflow = readWorkflow(file);
		const text = stickyText(workflow);
		expect(text).toContain('### Set up');
		expect(text).toContain('**Karla Claim Trigger**');
		expect(text).toContain('**Settings**');
		expect(text).toContain('Publish the workflow');
	});

	it.each(recipeFiles)('%s falls back for missing requester', (file) => {
		const workflow = readWorkflow(file);
		const settings = settingsFields(workflow);
		expect(settings.get('fallback_requester_email')).toBe('claims@your-shop.example');
		const parameters = parameterText(workflow);
		expect(parameters).toMatch(/customer_email \?\? [^,}]*fallback_requester_email/);
		if (settings.has('fallback_requester_name')) {
			expect(parameters).toMatch(/customer_name \?\? [^,}]*fallback_requester_name/);
		}
	});

	it('webhook ids differ across examples', () => {
		const ids = exampleFiles.flatMap((file) =>
			readWorkflow(file)
				.nodes.map((node) => node.webhookId)
				.filter((id) => id !== undefined),
		);
		expect(new Set(ids).size).toBe(ids.length);
	});

	it('no-duplicates recipe dedupes before ticket', () => {
		const workflow = readWorkflow('no-duplicate-tickets.json');
		const [dedupe] = nodeOfType(workflow, 'n8n-nodes-base.removeDuplicates');
		expect(dedupe.parameters).toEqual({
			operation: 'removeItemsSeenInPreviousExecutions',
			dedupeValue: '={{ $json.dedupe_key }}',
			options: {},
		});
		expect(children(workflow, dedupe.name)).toEqual(['Create internal ticket']);
		expect(children(workflow, 'Settings')).toEqual([dedupe.name]);
		const text = stickyText(workflow);
		expect(text).toContain('### Why this node');
		expect(text).toContain('`dedupe_key`');
	});

	it('photo recipes download photos', () => {
		for (const file of [
			'zendesk-ticket.json',
			'gorgias-ticket.json',
			'internal-tool-ticket.json',
			'fan-out-gorgias-and-internal-tool.json',
		]) {
			const [normalize] = nodeOfType(readWorkflow(file), NORMALIZE_TYPE);
			expect(normalize.parameters.options).toEqual({ downloadPhotos: true });
		}
	});
});

describe('recipe documentation', () => {
	const examplesReadme = readFileSync(join(EXAMPLES_DIR, 'README.md'), 'utf8');
	const recipesDoc = readFileSync(join(ROOT, 'README.md'), 'utf8');

	it.each(recipeFiles)('%s is documented', (file) => {
		expect(examplesReadme).toContain(`](${file})`);
		expect(recipesDoc).toContain(`](examples/${file})`);
	});

	it('internal ticket format matches recipe', () => {
		const example = /## Internal tool ticket format[\s\S]*?```json\n([\s\S]*?)```/.exec(
			examplesReadme,
		);
		expect(example).not.toBeNull();
		const documented = JSON.parse(example![1]) as Record<string, unknown>;

		const keysOf = (value: unknown): string[] =>
			typeof value === 'object' && value !== null && !Array.isArray(value)
				? Object.entries(value).flatMap(([key, child]) => [key, ...keysOf(child)])
				: Array.isArray(value)
					? value.flatMap(keysOf)
					: [];
		const documentedKeys = new Set(keysOf(documented));

		const itemKeys = Object.keys((documented.items as Array<Record<string, unknown>>)[0]);
		const expectedKeys = [...documentedKeys].filter((key) => !itemKeys.includes(key)).sort();
		const bodyKeys = (file: string): string[] => {
			const ticket = readWorkflow(file).nodes.find(
				(node) => node.name === 'Create internal ticket',
			);
			// The body is an object literal written one key per line.
			const body = String(ticket?.parameters.jsonBody ?? '');
			return [
				...new Set([...body.matchAll(/^\s*([a-z_][a-z0-9_]*):/gm)].map((match) => match[1])),
			].sort();
		};
		expect(bodyKeys('internal-tool-ticket.json')).toEqual(expectedKeys);
		expect(bodyKeys('fan-out-gorgias-and-internal-tool.json')).toEqual(expectedKeys);
		// Without photo download the attachments are an empty list, so their keys do not appear.
		const withoutPhotos = bodyKeys('no-duplicate-tickets.json');
		expect(withoutPhotos.every((key) => expectedKeys.includes(key))).toBe(true);
		expect(Object.keys(documented).every((key) => withoutPhotos.includes(key))).toBe(true);
		// The table lists every top-level field.
		for (const key of Object.keys(documented)) {
			expect(examplesReadme).toContain(`\`${key}\``);
		}
	});
});
