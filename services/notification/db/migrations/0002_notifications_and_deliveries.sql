CREATE TABLE `deliveries` (
	`id` varchar(36) NOT NULL,
	`notification_id` varchar(36) NOT NULL,
	`attempt` int NOT NULL,
	`channel` varchar(16) NOT NULL,
	`instance` varchar(64) NOT NULL,
	`outcome` varchar(24) NOT NULL,
	`detail` varchar(1000) NOT NULL DEFAULT '',
	`start_time` datetime(3) NOT NULL,
	`end_time` datetime(3),
	CONSTRAINT `deliveries_id` PRIMARY KEY(`id`),
	CONSTRAINT `deliveries_attempt` UNIQUE(`notification_id`,`attempt`)
);
--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` varchar(36) NOT NULL,
	`user_id` varchar(36) NOT NULL,
	`kind` varchar(32) NOT NULL,
	`channel` varchar(16) NOT NULL,
	`state` varchar(16) NOT NULL,
	`recipient` varchar(254) NOT NULL DEFAULT '',
	`recipient_name` varchar(100) NOT NULL DEFAULT '',
	`subject` varchar(300) NOT NULL,
	`payload` mediumtext NOT NULL,
	`source_event_id` varchar(36) NOT NULL,
	`dedupe_key` varchar(191) NOT NULL,
	`order_id` varchar(36) NOT NULL DEFAULT '',
	`event_id` varchar(36) NOT NULL DEFAULT '',
	`attempts` int NOT NULL DEFAULT 0,
	`next_attempt_time` datetime(3),
	`claim_token` varchar(36),
	`last_error` varchar(1000) NOT NULL DEFAULT '',
	`create_time` datetime(3) NOT NULL,
	`update_time` datetime(3) NOT NULL,
	`send_time` datetime(3),
	CONSTRAINT `notifications_id` PRIMARY KEY(`id`),
	CONSTRAINT `notifications_dedupe` UNIQUE(`dedupe_key`)
);
--> statement-breakpoint
CREATE INDEX `notifications_due` ON `notifications` (`state`,`next_attempt_time`);--> statement-breakpoint
CREATE INDEX `notifications_unsent` ON `notifications` (`state`,`create_time`);--> statement-breakpoint
CREATE INDEX `notifications_user` ON `notifications` (`user_id`,`create_time`,`id`);