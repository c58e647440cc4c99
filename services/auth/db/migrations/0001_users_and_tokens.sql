CREATE TABLE `refresh_tokens` (
	`id` varchar(36) NOT NULL,
	`family_id` varchar(36) NOT NULL,
	`user_id` varchar(36) NOT NULL,
	`token_hash` binary(32) NOT NULL,
	`create_time` datetime(3) NOT NULL,
	`expire_time` datetime(3) NOT NULL,
	`rotate_time` datetime(3),
	`replaced_by` varchar(36),
	`revoke_time` datetime(3),
	CONSTRAINT `refresh_tokens_id` PRIMARY KEY(`id`),
	CONSTRAINT `refresh_tokens_hash` UNIQUE(`token_hash`)
);
--> statement-breakpoint
CREATE TABLE `user_roles` (
	`user_id` varchar(36) NOT NULL,
	`role` varchar(16) NOT NULL,
	`grant_time` datetime(3) NOT NULL,
	CONSTRAINT `user_roles_user_id_role_pk` PRIMARY KEY(`user_id`,`role`)
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` varchar(36) NOT NULL,
	`email` varchar(254) NOT NULL,
	`display_name` varchar(100) NOT NULL,
	`password_hash` varchar(255) NOT NULL,
	`create_time` datetime(3) NOT NULL,
	`update_time` datetime(3) NOT NULL,
	CONSTRAINT `users_id` PRIMARY KEY(`id`),
	CONSTRAINT `users_email` UNIQUE(`email`)
);
--> statement-breakpoint
CREATE INDEX `refresh_tokens_family` ON `refresh_tokens` (`family_id`);