// AnkiConnect's /mcp through the official TypeScript SDKs: the v1 SDK
// (@modelcontextprotocol/sdk, the initialize handshake) and the v2 client
// (@modelcontextprotocol/client, handshake by default, 2026-07-28 pinned).
//
//   node client.mjs URL   -> prints one JSON line per client, exits 1 on a failure
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const url = new URL(process.argv[2]);
const info = { name: 'ankiconnect-test', version: '1.0.0' };

async function exercise(label, client, transport) {
    await client.connect(transport);
    const era = typeof client.getProtocolEra === 'function' ? client.getProtocolEra() : 'legacy';
    const tools = [];
    let cursor;
    do {
        const page = await client.listTools(cursor === undefined ? undefined : { cursor });
        tools.push(...page.tools);
        cursor = page.nextCursor;
    } while (cursor !== undefined);
    const decks = await client.callTool({ name: 'deckNames', arguments: {} });
    const refused = await client.callTool({ name: 'createDeck', arguments: { deck: 'x' } });
    let unknown = null;
    try {
        await client.callTool({ name: 'noSuchTool', arguments: {} });
    } catch (e) {
        unknown = e.code;
    }
    if (transport.sessionId) await transport.terminateSession();
    await client.close();
    const findNotes = tools.find(t => t.name === 'findNotes');
    console.log(JSON.stringify({
        label,
        era,
        tools: tools.map(t => t.name),
        findNotesReadOnly: findNotes?.annotations?.readOnlyHint,
        decks: decks.structuredContent,
        refusedIsError: refused.isError,
        unknown,
    }));
}

await exercise('v1', new ClientV1(info), new TransportV1(url));
await exercise('v2 default', new ClientV2(info), new TransportV2(url));
await exercise('v2 2026-07-28', new ClientV2(info, { versionNegotiation: { mode: { pin: '2026-07-28' } } }),
    new TransportV2(url));
