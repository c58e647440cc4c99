/**
 * Names for ids: an event's name, time zone and section names, read once per page load (GetEvent
 * and a BASIC GetVenue, both cached by the platform) for lists of orders and tickets.
 */
import { eventClient } from "../api/clients.js";
import { VenueView } from "../gen/boxoffice/event/v1/venue_pb.js";

export interface EventInfo {
  readonly name: string;
  readonly timeZone: string;
  readonly sections: ReadonlyMap<string, string>;
}

const cache = new Map<string, Promise<EventInfo>>();

export function eventInfo(eventId: string): Promise<EventInfo> {
  let p = cache.get(eventId);
  if (p === undefined) {
    p = (async () => {
      const { event } = await eventClient.getEvent({ eventId });
      const { venue } = await eventClient.getVenue({ venueId: event?.venueId ?? "", view: VenueView.BASIC });
      return {
        name: event?.name ?? "Event",
        timeZone: event?.timeZone ?? "",
        sections: new Map((venue?.sections ?? []).map((s) => [s.id, s.name])),
      };
    })();
    p.catch(() => cache.delete(eventId));
    cache.set(eventId, p);
  }
  return p;
}
