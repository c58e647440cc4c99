CREATE TABLE `order_event_jobs` (
	`event_id` varchar(36) NOT NULL,
	`kind` varchar(16) NOT NULL,
	`revision` bigint NOT NULL,
	`state` varchar(16) NOT NULL,
	`reason` varchar(600) NOT NULL DEFAULT '',
	`name` varchar(200) NOT NULL DEFAULT '',
	`start_time` datetime(3),
	`end_time` datetime(3),
	`processed` int NOT NULL DEFAULT 0,
	`create_time` datetime(3) NOT NULL,
	`done_time` datetime(3),
	CONSTRAINT `order_event_jobs_event_id_kind_revision_pk` PRIMARY KEY(`event_id`,`kind`,`revision`)
);
--> statement-breakpoint
CREATE TABLE `order_lines` (
	`order_id` varchar(36) NOT NULL,
	`line_no` int NOT NULL,
	`section_id` varchar(36) NOT NULL,
	`row_label` varchar(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	`seat_label` varchar(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	`quantity` int NOT NULL,
	`unit_price_minor` bigint NOT NULL,
	CONSTRAINT `order_lines_order_id_line_no_pk` PRIMARY KEY(`order_id`,`line_no`)
);
--> statement-breakpoint
CREATE TABLE `order_refunds` (
	`order_id` varchar(36) NOT NULL,
	`payment_id` varchar(36) NOT NULL,
	`reason` varchar(64) NOT NULL,
	`state` varchar(16) NOT NULL,
	`attempts` int NOT NULL DEFAULT 0,
	`next_attempt_time` datetime(3) NOT NULL,
	`last_error` varchar(300) NOT NULL DEFAULT '',
	`create_time` datetime(3) NOT NULL,
	`done_time` datetime(3),
	CONSTRAINT `order_refunds_order_id` PRIMARY KEY(`order_id`)
);
--> statement-breakpoint
CREATE TABLE `orders` (
	`id` varchar(36) NOT NULL,
	`user_id` varchar(36) NOT NULL,
	`event_id` varchar(36) NOT NULL,
	`hold_id` varchar(36) NOT NULL,
	`state` varchar(16) NOT NULL,
	`quantity` int NOT NULL,
	`currency_code` char(3) NOT NULL,
	`total_minor` bigint NOT NULL,
	`payment_id` varchar(36),
	`payment_outcome` varchar(16),
	`payment_failure_code` varchar(64) NOT NULL DEFAULT '',
	`failure_reason` varchar(64) NOT NULL DEFAULT '',
	`cancel_reason` varchar(600) NOT NULL DEFAULT '',
	`late_payment` boolean NOT NULL DEFAULT false,
	`version` int NOT NULL DEFAULT 1,
	`create_time` datetime(3) NOT NULL,
	`update_time` datetime(3) NOT NULL,
	`confirm_time` datetime(3),
	`cancel_time` datetime(3),
	`next_check_time` datetime(3) NOT NULL,
	`event_start_time` datetime(3),
	`event_revision` bigint NOT NULL DEFAULT 0,
	CONSTRAINT `orders_id` PRIMARY KEY(`id`),
	CONSTRAINT `orders_hold` UNIQUE(`hold_id`)
);
--> statement-breakpoint
CREATE TABLE `tickets` (
	`id` varchar(36) NOT NULL,
	`order_id` varchar(36) NOT NULL,
	`event_id` varchar(36) NOT NULL,
	`user_id` varchar(36) NOT NULL,
	`section_id` varchar(36) NOT NULL,
	`row_label` varchar(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	`seat_label` varchar(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	`state` varchar(16) NOT NULL,
	`code` varchar(400) NOT NULL,
	`place_key` varchar(128) NOT NULL,
	`live_place` varchar(128) GENERATED ALWAYS AS (IF(state <> 'VOID', place_key, NULL)) STORED,
	`issue_time` datetime(3) NOT NULL,
	`check_in_time` datetime(3),
	`checked_in_by` varchar(36),
	`void_time` datetime(3),
	CONSTRAINT `tickets_id` PRIMARY KEY(`id`),
	CONSTRAINT `tickets_live_place` UNIQUE(`live_place`)
);
--> statement-breakpoint
CREATE INDEX `order_event_jobs_state` ON `order_event_jobs` (`state`);--> statement-breakpoint
CREATE INDEX `order_refunds_due` ON `order_refunds` (`state`,`next_attempt_time`);--> statement-breakpoint
CREATE INDEX `orders_user` ON `orders` (`user_id`,`create_time`,`id`);--> statement-breakpoint
CREATE INDEX `orders_event` ON `orders` (`event_id`,`state`,`id`);--> statement-breakpoint
CREATE INDEX `orders_created` ON `orders` (`create_time`,`id`);--> statement-breakpoint
CREATE INDEX `orders_unsettled` ON `orders` (`payment_outcome`,`next_check_time`);--> statement-breakpoint
CREATE INDEX `tickets_order` ON `tickets` (`order_id`);--> statement-breakpoint
CREATE INDEX `tickets_user` ON `tickets` (`user_id`,`issue_time`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_event` ON `tickets` (`event_id`,`section_id`,`state`);