import { mkdtempSync, rmSync } from 'fs';
import { ExecutionLifecycleHooks, WorkflowExecute } from 'n8n-core';
import {
	NodeConnectionTypes,
	NodeHelpers,
	Workflow,
	type IConnections,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type INodeTypes,
	type IRun,
	type IRunExecutionData,
	type IWorkflowBase,
	type IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { tmpdir } from 'os';
import { join } from 'path';

/**
 * Runs workflows in-process with n8n-core's `WorkflowExecute`, the engine n8n itself uses, so a
 * node's real `this.helpers` (HTTP, binary data) and n8n's item pairing and error handling apply.
 * Modelled on the node test harness in n8n's own repository (packages/core/nodes-testing).
 */

let userFolder: string | undefined;
const previousEnvironment: Record<string, string | undefined> = {};

function setEnvironment(name: string, value: string): void {
	previousEnvironment[name] = process.env[name];
	process.env[name] = value;
}

/**
 * Points n8n at a temporary user folder, because n8n-core writes an instance settings file there
 * on first use, and silences n8n's logger, which prints every node error. Call in `beforeAll`
 * before the first run and undo with {@link removeTemporaryN8nUserFolder}.
 */
export function useTemporaryN8nUserFolder(): void {
	userFolder = mkdtempSync(join(tmpdir(), 'karla-n8n-'));
	setEnvironment('N8N_USER_FOLDER', userFolder);
	setEnvironment('N8N_LOG_LEVEL', 'silent');
}

export function removeTemporaryN8nUserFolder(): void {
	for (const [name, value] of Object.entries(previousEnvironment)) {
		if (value === undefined) delete process.env[name];
		else process.env[name] = value;
	}
	if (userFolder !== undefined) rmSync(userFolder, { recursive: true, force: true });
	userFolder = undefined;
}

/** Test node that emits the items given in its `items` parameter (a JSON array of objects). */
export class FixtureEmitter implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Fixture Emitter',
		name: 'fixtureEmitter',
		group: ['input'],
		version: 1,
		description: 'Emits fixed items',
		defaults: { name: 'Fixture Emitter' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [{ displayName: 'Items', name: 'items', type: 'string', default: '[]' }],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = JSON.parse(this.getNodeParameter('items', 0) as string) as unknown[];
		return [items.map((json) => ({ json: json as INodeExecutionData['json'] }))];
	}
}

/** Node types keyed by type name, in the form `Workflow` expects. */
export function createNodeTypes(types: Record<string, INodeType>): INodeTypes {
	const lookup = (name: string): INodeType => {
		const type = types[name];
		if (type === undefined) throw new Error(`unknown node type ${name}`);
		return type;
	};
	return {
		getByName: lookup,
		getByNameAndVersion: (name, version) => NodeHelpers.getVersionedNodeType(lookup(name), version),
		getKnownTypes: () => ({}),
	};
}

/** Builds a node at a fixed position with the given parameters. */
export function workflowNode(
	name: string,
	type: string,
	parameters: INode['parameters'] = {},
	settings: Partial<INode> = {},
): INode {
	return { id: name, name, type, typeVersion: 1, position: [0, 0], parameters, ...settings };
}

/** Connects each node's main output to the next node's main input. */
export function chain(...names: string[]): IConnections {
	const connections: IConnections = {};
	for (let i = 0; i < names.length - 1; i++) {
		connections[names[i]] = {
			main: [[{ node: names[i + 1], type: NodeConnectionTypes.Main, index: 0 }]],
		};
	}
	return connections;
}

/**
 * Runs a workflow from its first node in manual mode and resolves with the finished run, as
 * n8n's `workflowExecuteAfter` hook reports it.
 */
export async function runWorkflow(input: {
	nodes: INode[];
	connections: IConnections;
	nodeTypes: INodeTypes;
}): Promise<IRun> {
	const { nodes, connections, nodeTypes } = input;
	const workflow = new Workflow({ id: 'test', nodes, connections, nodeTypes, active: false });
	const workflowData = {
		id: 'test',
		name: 'test',
		nodes,
		connections,
		active: false,
		settings: {},
	} as unknown as IWorkflowBase;
	const hooks = new ExecutionLifecycleHooks('manual', 'test-execution', workflowData);
	const finished = new Promise<IRun>((resolve) => {
		hooks.addHandler('workflowExecuteAfter', (run) => resolve(run));
	});

	// The harness in n8n's repository uses a mock here; these are the fields the engine reads.
	const additionalData = {
		hooks,
		executionId: 'test-execution',
		currentNodeParameters: undefined,
		variables: {},
		restApiUrl: 'http://127.0.0.1/rest',
		instanceBaseUrl: 'http://127.0.0.1/',
		webhookBaseUrl: 'http://127.0.0.1/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1/webhook-test',
		formWaitingBaseUrl: 'http://127.0.0.1/form-waiting',
	} as unknown as IWorkflowExecuteAdditionalData;

	const startNode = nodes[0];
	const runExecutionData = {
		startData: {},
		resultData: { runData: {} },
		executionData: {
			contextData: {},
			metadata: {},
			nodeExecutionStack: [{ node: startNode, data: { main: [[{ json: {} }]] }, source: null }],
			waitingExecution: {},
			waitingExecutionSource: {},
		},
	} as unknown as IRunExecutionData;

	const execution = new WorkflowExecute(additionalData, 'manual', runExecutionData);
	await execution.processRunExecutionData(workflow);
	return await finished;
}

/** Returns the items of a node's first output in its first run, or throws when it did not run. */
export function outputOf(run: IRun, nodeName: string): INodeExecutionData[] {
	const task = run.data.resultData.runData[nodeName]?.[0];
	if (task === undefined) throw new Error(`node ${nodeName} did not run`);
	return task.data?.main[0] ?? [];
}
