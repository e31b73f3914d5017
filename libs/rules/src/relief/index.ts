export * from './amount';
export * from './tier';
export * from './review';
export * from './assessment';
export * from './evidence';
export * from './kakao-2023-assessment';
