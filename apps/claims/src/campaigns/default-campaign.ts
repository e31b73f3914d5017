/**
 * The campaign of January 2023, seeded by migration as data (see docs and DOMAIN.md R1-R10). Code
 * never reads these numbers; services learn them from the campaign table and events. The data
 * itself lives in @platform/rules, shared with the fixtures, load tests and drills.
 */
export { KAKAO_2023_HEART_PACK } from '@platform/rules';
