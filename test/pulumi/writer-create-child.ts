// One EspSlotWriter create() in a process of its own, as a second Pulumi stack would run it:
// argv[2] is the resource's inputs (JSON). It loads everything, waits until GO_AT (epoch ms, so
// that two of these start their writes together), calls create and prints one JSON line:
// {ok, pid, ms (from GO_AT to the end), outs | error}.
import * as writer from '../../provider/impl/esp-slot-writer';

async function main() {
  const inputs = JSON.parse(process.argv[2]) as Record<string, unknown>;
  const goAt = Number(process.env.GO_AT ?? Date.now());
  await new Promise((r) => setTimeout(r, Math.max(0, goAt - Date.now())));
  try {
    const r = await writer.create(inputs as never);
    console.log(JSON.stringify({ ok: true, pid: process.pid, ms: Date.now() - goAt, outs: r.outs }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, pid: process.pid, ms: Date.now() - goAt, error: (e as Error).message }));
  }
}

void main();
