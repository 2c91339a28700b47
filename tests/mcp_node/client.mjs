// AnkiConnect's /mcp through the official TypeScript SDKs: the v1 SDK
// (@modelcontextprotocol/sdk, the initialize handshake) and the v2 client
// (@modelcontextprotocol/client, handshake by default, 2026-07-28 pinned).
//
//   node client.mjs URL [--token T] [--origin O] [--write DECK]
//
// Prints one JSON line per client: the tools listed, deckNames and findNotes
// called, createDeck tried (with --write DECK, its name; the names get the
// client's label appended).  A client that cannot connect prints
// {"label", "connectError"}.  Exits 1 on anything unexpected.
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [, , address, ...rest] = process.argv;
const url = new URL(address);
const option = (name) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
};
const headers = {};
if (option('--token')) headers.Authorization = `Bearer ${option('--token')}`;
if (option('--origin')) headers.Origin = option('--origin');
const requestInit = { headers };
const deck = option('--write') ?? 'x';
const info = { name: 'ankiconnect-test', version: '1.0.0' };

async function exercise(label, client, transport) {
    try {
        await client.connect(transport);
    } catch (e) {
        console.log(JSON.stringify({ label, connectError: String(e.message ?? e) }));
        return;
    }
    const era = typeof client.getProtocolEra === 'function' ? client.getProtocolEra() : 'legacy';
    const tools = [];
    let cursor;
    do {
        const page = await client.listTools(cursor === undefined ? undefined : { cursor });
        tools.push(...page.tools);
        cursor = page.nextCursor;
    } while (cursor !== undefined);
    const decks = await client.callTool({ name: 'deckNames', arguments: {} });
    const notes = await client.callTool({ name: 'findNotes', arguments: { query: 'deck:Default' } });
    const created = await client.callTool({ name: 'createDeck', arguments: { deck: `${deck} ${label}` } });
    let unknown = null;
    try {
        await client.callTool({ name: 'noSuchTool', arguments: {} });
    } catch (e) {
        unknown = e.code;
    }
    if (transport.sessionId) await transport.terminateSession();
    await client.close();
    const byName = Object.fromEntries(tools.map(t => [t.name, t]));
    console.log(JSON.stringify({
        label,
        era,
        tools: tools.map(t => t.name),
        findNotesReadOnly: byName.findNotes?.annotations?.readOnlyHint,
        createDeckReadOnly: byName.createDeck?.annotations?.readOnlyHint,
        decks: decks.structuredContent,
        notes: notes.structuredContent,
        createDeck: { isError: created.isError ?? false, content: created.structuredContent,
                      text: created.content?.[0]?.text },
        unknown,
    }));
}

await exercise('v1', new ClientV1(info), new TransportV1(url, { requestInit }));
await exercise('v2 default', new ClientV2(info), new TransportV2(url, { requestInit }));
await exercise('v2 2026-07-28', new ClientV2(info, { versionNegotiation: { mode: { pin: '2026-07-28' } } }),
    new TransportV2(url, { requestInit }));
