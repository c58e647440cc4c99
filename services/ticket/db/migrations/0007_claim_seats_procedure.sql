-- Custom migration: a hold's specific seats of one section in one round trip (services/ticket/db/claims.ts,
-- docs/ticket.md "Where a hold's time goes"). Claims the seats by their labels through the unique
-- label index (the labels come as a JSON array of [row, seat] pairs, read with JSON_TABLE; the join
-- order and the index are forced: on a small table the optimizer would rather scan the section,
-- and a scanning UPDATE trips over every seat another buyer is claiming), with a
-- zero lock-wait timeout: a seat another transaction is claiming counts as taken (1205, only that
-- statement is rolled back). When every seat was free, records them as the hold's items and
-- answers one row with ok = 1; otherwise answers ok = 0 and, for each label that exists, a row with
-- the section's free seats counted up to p_cap (seats this statement matched count as free: the
-- caller rolls the transaction back). Every caller passes parameters; the body builds no SQL.
CREATE PROCEDURE `claim_seats`(
	IN p_inv int unsigned,
	IN p_section smallint unsigned,
	IN p_first_seat int unsigned,
	IN p_end_seat int unsigned,
	IN p_hold varchar(36),
	IN p_until datetime(3),
	IN p_now datetime(3),
	IN p_price bigint,
	IN p_count int,
	IN p_labels longtext,
	IN p_cap int
)
MODIFIES SQL DATA
BEGIN
	DECLARE busy int DEFAULT 0;
	DECLARE claimed int DEFAULT 0;
	BEGIN
		DECLARE CONTINUE HANDLER FOR 1205 SET busy = 1;
		SET STATEMENT innodb_lock_wait_timeout = 0 FOR
		UPDATE JSON_TABLE(p_labels, '$[*]' COLUMNS (
				`r` varchar(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$[0]',
				`l` varchar(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$[1]')) AS jt
			STRAIGHT_JOIN `seats` s FORCE INDEX (`seats_label`) ON s.`inv_id` = p_inv AND s.`section_no` = p_section AND s.`row_label` = jt.`r` AND s.`seat_label` = jt.`l`
			SET s.`hold_id` = p_hold, s.`taken_until` = p_until
			WHERE s.`taken_until` IS NULL OR s.`taken_until` <= p_now;
		SET claimed = ROW_COUNT();
	END;
	IF busy = 0 AND claimed = p_count THEN
		INSERT INTO `hold_seats` (`hold_id`, `seat_no`, `inv_id`, `section_no`, `price_minor`)
			SELECT p_hold, s.`seat_no`, s.`inv_id`, s.`section_no`, p_price
			FROM JSON_TABLE(p_labels, '$[*]' COLUMNS (
				`r` varchar(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$[0]',
				`l` varchar(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$[1]')) AS jt
			STRAIGHT_JOIN `seats` s FORCE INDEX (`seats_label`) ON s.`inv_id` = p_inv AND s.`section_no` = p_section AND s.`row_label` = jt.`r` AND s.`seat_label` = jt.`l`;
		SELECT 1 AS `ok`, NULL AS `row_label`, NULL AS `seat_label`, NULL AS `available`;
	ELSE
		SELECT 0 AS `ok`, s.`row_label`, s.`seat_label`, (SELECT COUNT(*) FROM (
				SELECT 1 FROM `seats` f WHERE f.`inv_id` = p_inv AND f.`seat_no` >= p_first_seat AND f.`seat_no` < p_end_seat
					AND (f.`taken_until` IS NULL OR f.`taken_until` <= p_now OR f.`hold_id` = p_hold) LIMIT p_cap) AS c) AS `available`
			FROM JSON_TABLE(p_labels, '$[*]' COLUMNS (
				`r` varchar(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$[0]',
				`l` varchar(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$[1]')) AS jt
			STRAIGHT_JOIN `seats` s FORCE INDEX (`seats_label`) ON s.`inv_id` = p_inv AND s.`section_no` = p_section AND s.`row_label` = jt.`r` AND s.`seat_label` = jt.`l`;
	END IF;
END;
