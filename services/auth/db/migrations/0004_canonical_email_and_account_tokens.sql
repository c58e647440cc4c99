CREATE TABLE `account_tokens` (
	`token_hash` binary(32) NOT NULL,
	`kind` varchar(32) NOT NULL,
	`user_id` varchar(36) NOT NULL,
	`create_time` datetime(3) NOT NULL,
	`expire_time` datetime(3) NOT NULL,
	`use_time` datetime(3),
	CONSTRAINT `account_tokens_token_hash` PRIMARY KEY(`token_hash`)
);
--> statement-breakpoint
ALTER TABLE `users` MODIFY COLUMN `email` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `email_verify_time` datetime(3);--> statement-breakpoint
ALTER TABLE `users` ADD `revision` bigint DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX `account_tokens_user` ON `account_tokens` (`user_id`,`kind`);--> statement-breakpoint
CREATE INDEX `account_tokens_expire` ON `account_tokens` (`expire_time`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_user` ON `refresh_tokens` (`user_id`);