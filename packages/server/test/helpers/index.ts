export { describeEachDatabase, startTestServer, dropSchema, TEST_DATABASES } from "./test-server.js";
export type { TestDatabase, TestResponse, TestServer, TestServerOptions } from "./test-server.js";
export { mintToken, testUser, TEST_PUBLIC_KEY_PEM } from "./tokens.js";
export type { TestClaims, TestUser } from "./tokens.js";
export { startSmtpPeer, freePort } from "./smtp-peer.js";
export type { ReceivedMessage, SmtpPeer } from "./smtp-peer.js";
export { addMember, createTenant, invite, latestTicket } from "./fixtures.js";
