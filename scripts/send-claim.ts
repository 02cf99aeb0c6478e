import { runSendClaim } from './lib/send-claim';

void runSendClaim(process.argv.slice(2), {
	out: (text) => console.log(text),
	err: (text) => console.error(text),
}).then((exitCode) => {
	process.exitCode = exitCode;
});
