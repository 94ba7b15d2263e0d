import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { unwrap, uploadFile } from "@fruxon/client";
import type {
  AssignableRole,
  CreateTenantRequest,
  InviteUserRequest,
  Operation,
  OperationStatus,
  UpdateProfileRequest,
  UserStatus,
} from "@fruxon/api-types";

import { useClient } from "./context.js";
import { newIdempotencyKey } from "./idempotency-key.js";

/**
 * Poll intervals for RUNNING or PENDING operations. The API expects clients to poll every 1–5 s and
 * never faster than once per second.
 */
export const OPERATION_POLL_MS = 1_000;
export const OPERATION_LIST_POLL_MS = 2_000;
export const MEMBERS_PAGE_SIZE = 25;

export interface UserFilters {
  q: string;
  status: UserStatus | "";
  role: AssignableRole | "";
}

export const queryKeys = {
  profile: ["profile"] as const,
  tenants: ["tenants"] as const,
  pendingInvitations: ["pendingInvitations"] as const,
  users: (tenant: string) => ["tenants", tenant, "users"] as const,
  usersPage: (tenant: string, filters: UserFilters, pageToken: string | undefined) =>
    ["tenants", tenant, "users", "page", filters, pageToken ?? ""] as const,
  membership: (tenant: string, email: string) => ["tenants", tenant, "users", "membership", email] as const,
  operations: (tenant: string) => ["tenants", tenant, "operations"] as const,
  operation: (tenant: string, name: string) => ["tenants", tenant, "operations", name] as const,
};

export function isFinished(operation: Pick<Operation, "status">): boolean {
  return operation.status === "DONE" || operation.status === "FAILED";
}

// profile

export function useProfile(enabled = true) {
  const client = useClient();
  return useQuery({
    queryKey: queryKeys.profile,
    enabled,
    queryFn: async ({ signal }) => unwrap(await client.GET("/v1/users/me", { signal })),
  });
}

export function useUpdateProfile() {
  const client = useClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: UpdateProfileRequest) => unwrap(await client.PATCH("/v1/users/me", { body })),
    onSuccess: (profile) => {
      queryClient.setQueryData(queryKeys.profile, profile);
    },
  });
}

/** Uploads an image to the tenant's storage and makes it the caller's avatar. */
export function useUploadAvatar() {
  const client = useClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ tenant, file }: { tenant: string; file: File }) => {
      const link = await uploadFile(client, { tenant, file });
      return unwrap(await client.PATCH("/v1/users/me", { body: { avatarFileId: link.fileId } }));
    },
    onSuccess: (profile) => {
      queryClient.setQueryData(queryKeys.profile, profile);
    },
  });
}

// tenants

export function useTenants(enabled = true) {
  const client = useClient();
  return useQuery({
    queryKey: queryKeys.tenants,
    enabled,
    // NOTE: one page of 100 tenants, so a caller in more tenants gets only the first 100 in the switcher.
    queryFn: async ({ signal }) =>
      unwrap(await client.GET("/v1/tenants", { params: { query: { pageSize: 100 } }, signal })),
  });
}

export function useCreateTenant() {
  const client = useClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: CreateTenantRequest) => unwrap(await client.POST("/v1/tenants", { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.tenants }),
  });
}

// members

export function useUsersPage(tenant: string, filters: UserFilters, pageToken: string | undefined) {
  const client = useClient();
  return useQuery({
    queryKey: queryKeys.usersPage(tenant, filters, pageToken),
    placeholderData: keepPreviousData,
    queryFn: async ({ signal }) => {
      const query = {
        pageSize: MEMBERS_PAGE_SIZE,
        ...(pageToken === undefined ? {} : { pageToken }),
        ...(filters.q.trim() === "" ? {} : { q: filters.q.trim() }),
        ...(filters.status === "" ? {} : { status: filters.status }),
        ...(filters.role === "" ? {} : { role: filters.role }),
      };
      return unwrap(await client.GET("/v1/tenants/{tenant}/users", { params: { path: { tenant }, query }, signal }));
    },
  });
}

/** Finds the caller's own membership in the tenant by searching the member list for the caller's email. */
export function useMyMembership(tenant: string, email: string | undefined) {
  const client = useClient();
  return useQuery({
    queryKey: queryKeys.membership(tenant, email ?? ""),
    enabled: email !== undefined,
    queryFn: async ({ signal }) => {
      const page = await unwrap(
        await client.GET("/v1/tenants/{tenant}/users", {
          params: { path: { tenant }, query: { q: email ?? "", pageSize: 100 } },
          signal,
        }),
      );
      const expected = (email ?? "").toLowerCase();
      return page.items.find((user) => user.email.toLowerCase() === expected) ?? null;
    },
  });
}

export function useInviteUser(tenant: string) {
  const client = useClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: InviteUserRequest) =>
      unwrap(await client.POST("/v1/tenants/{tenant}/users:invite", { params: { path: { tenant } }, body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.users(tenant) }),
  });
}

export function useBatchInvite(tenant: string) {
  const client = useClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (invitations: InviteUserRequest[]) =>
      unwrap(
        await client.POST("/v1/tenants/{tenant}/users:batchInvite", {
          params: { path: { tenant }, header: { "Idempotency-Key": newIdempotencyKey() } },
          body: { invitations },
        }),
      ),
    onSuccess: (operation) => {
      queryClient.setQueryData(queryKeys.operation(tenant, operation.name), operation);
      return queryClient.invalidateQueries({ queryKey: queryKeys.operations(tenant) });
    },
  });
}

export function useChangeRole(tenant: string) {
  const client = useClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ user, role }: { user: string; role: AssignableRole }) =>
      unwrap(
        await client.PATCH("/v1/tenants/{tenant}/users/{user}", {
          params: { path: { tenant, user } },
          body: { role },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.users(tenant) }),
  });
}

export function useRemoveUser(tenant: string) {
  const client = useClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ user }: { user: string }) => {
      await unwrap(client.DELETE("/v1/tenants/{tenant}/users/{user}", { params: { path: { tenant, user } } }));
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.users(tenant) }),
  });
}

// operations

export function useOperations(tenant: string, status: OperationStatus | "") {
  const client = useClient();
  return useQuery({
    queryKey: [...queryKeys.operations(tenant), "list", status],
    queryFn: async ({ signal }) =>
      unwrap(
        await client.GET("/v1/tenants/{tenant}/operations", {
          params: { path: { tenant }, query: { pageSize: 50, ...(status === "" ? {} : { status }) } },
          signal,
        }),
      ),
    // Poll only while some operation on the page is still PENDING or RUNNING.
    refetchInterval: (query) =>
      query.state.data?.items.some((operation) => !isFinished(operation)) === true ? OPERATION_LIST_POLL_MS : false,
  });
}

/** Reads one operation and polls it once per second until it is DONE or FAILED. */
export function useOperation(tenant: string, name: string | undefined) {
  const client = useClient();
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: queryKeys.operation(tenant, name ?? ""),
    enabled: name !== undefined,
    queryFn: async ({ signal }) => {
      const operation = await unwrap(
        await client.GET("/v1/tenants/{tenant}/operations/{operation}", {
          params: { path: { tenant, operation: name ?? "" } },
          signal,
        }),
      );
      if (isFinished(operation)) {
        void queryClient.invalidateQueries({ queryKey: queryKeys.users(tenant) });
      }
      return operation;
    },
    refetchInterval: (query) =>
      query.state.data === undefined || isFinished(query.state.data) ? false : OPERATION_POLL_MS,
  });
}

export function useExportUsers(tenant: string) {
  const client = useClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () =>
      unwrap(
        await client.POST("/v1/tenants/{tenant}/users:export", {
          params: { path: { tenant }, header: { "Idempotency-Key": newIdempotencyKey() } },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.operations(tenant) }),
  });
}

export function useCancelOperation(tenant: string) {
  const client = useClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (name: string) =>
      unwrap(
        await client.POST("/v1/tenants/{tenant}/operations/{operation}:cancel", {
          params: { path: { tenant, operation: name } },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.operations(tenant) }),
  });
}

export function downloadUrl(baseUrl: string, tenant: string, file: string): string {
  return `${baseUrl}/v1/tenants/${encodeURIComponent(tenant)}/storage/${encodeURIComponent(file)}`;
}

// invitations

export function usePendingInvitations(enabled = true) {
  const client = useClient();
  return useQuery({
    queryKey: queryKeys.pendingInvitations,
    enabled,
    queryFn: async ({ signal }) => unwrap(await client.GET("/v1/me/pendingInvitations", { signal })),
  });
}

export function useAnswerPendingInvitation() {
  const client = useClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ tenantId, answer }: { tenantId: string; answer: "accept" | "decline" }) => {
      const params = { params: { path: { tenantId } } };
      const result =
        answer === "accept"
          ? await client.POST("/v1/me/pendingInvitations/{tenantId}:accept", params)
          : await client.POST("/v1/me/pendingInvitations/{tenantId}:decline", params);
      await unwrap(result);
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: queryKeys.pendingInvitations });
      await queryClient.invalidateQueries({ queryKey: queryKeys.tenants });
    },
  });
}

export function useAcceptTicket() {
  const client = useClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (ticket: string) => {
      await unwrap(client.POST("/v1/invitations/{ticket}", { params: { path: { ticket } } }));
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: queryKeys.pendingInvitations });
      await queryClient.invalidateQueries({ queryKey: queryKeys.tenants });
    },
  });
}
