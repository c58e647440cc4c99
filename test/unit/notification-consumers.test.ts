import assert from "node:assert/strict";
import type { DescFile } from "@bufbuild/protobuf";
import { modules } from "../../cmd/modules.js";
import { file_boxoffice_auth_v1_events } from "../../gen/boxoffice/auth/v1/events_pb.js";
import { file_boxoffice_payment_v1_events } from "../../gen/boxoffice/payment/v1/events_pb.js";
import { file_boxoffice_ticket_v1_events } from "../../gen/boxoffice/ticket/v1/events_pb.js";
import type { NotificationDeps } from "../../services/notification/deps.js";
import { notificationConsumers } from "../../services/notification/events/index.js";

/**
 * The consumers' sequence groups (services/notification/events/consumed.ts) must cover every event
 * type their producer publishes for the aggregate: a type left out would leave gaps in the group's
 * sequence, and every later fact of that aggregate would wait for it, then be dead-lettered. An
 * events.proto message that another message of the file embeds (EventSummary) is a part, not an event.
 */
function integrationEvents(file: DescFile): string[] {
  const embedded = new Set(
    file.messages.flatMap((m) => m.fields.flatMap((f) => (f.message ? [f.message.typeName] : []))),
  );
  return file.messages.map((m) => m.typeName).filter((t) => !embedded.has(t));
}

describe("notification's consumers and the producers' contracts", () => {
  const consumers = notificationConsumers({} as NotificationDeps);

  for (const [producer, file] of [
    ["auth", file_boxoffice_auth_v1_events],
    ["ticket", file_boxoffice_ticket_v1_events],
    ["payment", file_boxoffice_payment_v1_events],
  ] as const) {
    it(`consumes every ${producer} event, all in one sequence group, each once`, () => {
      const mine = consumers.filter((c) => c.type.producer === producer);
      assert.deepEqual(mine.map((c) => c.type.schema.typeName).sort(), integrationEvents(file).sort());
      assert.equal(new Set(mine.map((c) => c.sequenceGroup)).size, 1, "one group per producer aggregate");
      assert.ok(mine[0]?.sequenceGroup?.startsWith("notification."));
      // and what the producer's module declares it publishes (what its outbox may carry): every one
      const declared = (modules[producer].publishes ?? []).map((t) => t.schema.typeName).sort();
      assert.deepEqual(mine.map((c) => c.type.schema.typeName).sort(), declared, `${producer}'s declared publishes`);
    });
  }

  it("names each consumer once (the inbox key and the durable)", () => {
    const names = consumers.map((c) => c.name);
    assert.equal(new Set(names).size, names.length);
  });
});
