import type { ServiceModule } from "../platform/app/index.js";
import type { ServiceName } from "../platform/config/runtime.js";
import { authModule } from "../services/auth/index.js";
import { eventModule } from "../services/event/index.js";
import { notificationModule } from "../services/notification/index.js";
import { paymentModule } from "../services/payment/index.js";
import { ticketModule } from "../services/ticket/index.js";

/** Every service module by name: the only place that knows all services. */
export const modules: Record<ServiceName, ServiceModule> = {
  auth: authModule,
  event: eventModule,
  ticket: ticketModule,
  payment: paymentModule,
  notification: notificationModule,
};
