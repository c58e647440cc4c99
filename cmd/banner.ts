/** What `make dev` and `serve --banner` print once the platform is up: endpoints and lines to paste. */
export function printBanner(port: number, adminPort: number, extra = ""): void {
  const base = `http://localhost:${port}`;
  process.stderr.write(`
Boxoffice is running: every service on ${base} (gRPC, Connect, gRPC-Web), admin on http://localhost:${adminPort}

  curl -H 'content-type: application/json' -d '{}' ${base}/grpc.health.v1.Health/Check
  curl -H 'content-type: application/json' -d '{}' ${base}/boxoffice.event.v1.EventService/ListEvents
  grpcurl -plaintext localhost:${port} list
  grpcurl -plaintext localhost:${port} describe boxoffice.ticket.v1.TicketService.HoldSeats
  curl http://localhost:${adminPort}/metrics

${extra}Ctrl-C stops it.
`);
}
