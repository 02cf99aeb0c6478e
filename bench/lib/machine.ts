import { readFileSync } from 'fs';
import { cpus, totalmem } from 'os';

export interface MachineInfo {
	cpuModel: string;
	/** Logical processors the operating system reports. */
	cores: number;
	memoryGiB: number;
	node: string;
	platform: string;
	date: string;
}

function readCpuModel(): string {
	try {
		const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
		const match = /^model name\s*:\s*(.+)$/m.exec(cpuinfo);
		if (match) return match[1].trim();
	} catch {
		// Not Linux: fall back to what Node reports.
	}
	return cpus()[0]?.model ?? 'unknown';
}

export function describeMachine(): MachineInfo {
	return {
		cpuModel: readCpuModel(),
		cores: cpus().length,
		memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
		node: process.version,
		platform: `${process.platform} ${process.arch}`,
		date: new Date().toISOString(),
	};
}
