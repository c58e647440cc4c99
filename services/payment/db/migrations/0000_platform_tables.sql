CREATE TABLE `idempotency_records` (
	`caller` varchar(128) NOT NULL,
	`method` varchar(191) NOT NULL,
	`request_id` varchar(64) NOT NULL,
	`request_hash` binary(32) NOT NULL,
	`response` mediumblob,
	`create_time` datetime(3) NOT NULL,
	`expire_time` datetime(3) NOT NULL,
	CONSTRAINT `idempotency_records_caller_method_request_id_pk` PRIMARY KEY(`caller`,`method`,`request_id`)
);
--> statement-breakpoint
CREATE TABLE `inbox_aggregates` (
	`consumer` varchar(128) NOT NULL,
	`aggregate_type` varchar(64) NOT NULL,
	`aggregate_id` varchar(64) NOT NULL,
	`version` bigint unsigned NOT NULL,
	`update_time` datetime(3) NOT NULL,
	CONSTRAINT `inbox_aggregates_consumer_aggregate_type_aggregate_id_pk` PRIMARY KEY(`consumer`,`aggregate_type`,`aggregate_id`)
);
--> statement-breakpoint
CREATE TABLE `inbox_events` (
	`consumer` varchar(128) NOT NULL,
	`event_id` varchar(36) NOT NULL,
	`process_time` datetime(3) NOT NULL,
	CONSTRAINT `inbox_events_consumer_event_id_pk` PRIMARY KEY(`consumer`,`event_id`)
);
--> statement-breakpoint
CREATE TABLE `outbox_events` (
	`seq` bigint unsigned AUTO_INCREMENT NOT NULL,
	`event_id` varchar(36) NOT NULL,
	`subject` varchar(255) NOT NULL,
	`event_type` varchar(191) NOT NULL,
	`aggregate_type` varchar(64) NOT NULL,
	`aggregate_id` varchar(64) NOT NULL,
	`aggregate_version` bigint unsigned NOT NULL,
	`envelope` mediumblob NOT NULL,
	`create_time` datetime(3) NOT NULL,
	`send_time` datetime(3),
	`attempts` int unsigned NOT NULL DEFAULT 0,
	`last_error` varchar(1000),
	CONSTRAINT `outbox_events_seq` PRIMARY KEY(`seq`),
	CONSTRAINT `outbox_events_event_id` UNIQUE(`event_id`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_records_expire` ON `idempotency_records` (`expire_time`);--> statement-breakpoint
CREATE INDEX `inbox_events_process_time` ON `inbox_events` (`process_time`);--> statement-breakpoint
CREATE INDEX `outbox_events_pending` ON `outbox_events` (`send_time`,`seq`);--> statement-breakpoint
CREATE INDEX `outbox_events_aggregate` ON `outbox_events` (`aggregate_type`,`aggregate_id`,`seq`);