import type { Operation, Profile, User, UserList } from "@fruxon/api-types";

export const ana: User = {
  id: "3f2b8c4d-1e6a-4b7f-9c0d-5a8e2f1b7c63",
  username: "ana@example.com",
  email: "ana@example.com",
  firstName: "Ana",
  lastName: "Diaz",
  status: "ACTIVE",
  role: "ADMIN",
  createdAt: 1764806400000,
  modifiedAt: 1764892800000,
};

export const ben: User = {
  id: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
  email: "ben@example.com",
  status: "INVITED",
  role: "MEMBER",
  createdAt: 1764979200000,
  modifiedAt: 1764979200000,
};

export const anaProfile: Profile = {
  id: "auth0|ana",
  email: "ana@example.com",
  emailVerified: true,
  firstName: "Ana",
  lastName: "Diaz",
  createdAt: 1764806400000,
  modifiedAt: 1764892800000,
};

export function userList(items: User[], nextPageToken?: string): UserList {
  return { items, totalCount: items.length, ...(nextPageToken === undefined ? {} : { nextPageToken }) };
}

export function batchOperation(status: Operation["status"], processed: number, total: number): Operation {
  return {
    name: "5c1e7a2b-8f3d-4a6c-b9e0-1d2f3a4b5c6d",
    type: "BATCH_INVITE",
    status,
    createdAt: 1764806400000,
    ...(status === "PENDING" ? {} : { startedAt: 1764806400500 }),
    ...(status === "DONE" ? { completedAt: 1764806402000 } : {}),
    metadata: { total, processed, succeeded: processed, failed: 0 },
  };
}
