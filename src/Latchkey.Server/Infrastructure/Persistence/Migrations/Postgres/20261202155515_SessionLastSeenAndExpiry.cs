using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Server.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SessionLastSeenAndExpiry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "ExpiresAt",
                table: "sessions",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified));

            migrationBuilder.AddColumn<DateTime>(
                name: "LastSeenAt",
                table: "sessions",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified));

            // Note: existing sessions take their last use and expiry from their refresh-token family.
            migrationBuilder.Sql("""
                UPDATE sessions SET
                    "LastSeenAt" = COALESCE("LastActivityAt", (SELECT MAX(t."CreatedAt") FROM refresh_tokens AS t WHERE t."SessionId" = sessions."Id"), "CreatedAt"),
                    "ExpiresAt" = COALESCE((SELECT MAX(t."ExpiresAt") FROM refresh_tokens AS t WHERE t."SessionId" = sessions."Id"), "CreatedAt");
                """);

            migrationBuilder.DropColumn(
                name: "LastActivityAt",
                table: "sessions");

            migrationBuilder.CreateIndex(
                name: "IX_sessions_ExpiresAt",
                table: "sessions",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_sessions_RevokedAt",
                table: "sessions",
                column: "RevokedAt");

            migrationBuilder.CreateIndex(
                name: "IX_refresh_tokens_ExpiresAt",
                table: "refresh_tokens",
                column: "ExpiresAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_sessions_ExpiresAt",
                table: "sessions");

            migrationBuilder.DropIndex(
                name: "IX_sessions_RevokedAt",
                table: "sessions");

            migrationBuilder.DropIndex(
                name: "IX_refresh_tokens_ExpiresAt",
                table: "refresh_tokens");

            migrationBuilder.DropColumn(
                name: "ExpiresAt",
                table: "sessions");

            migrationBuilder.DropColumn(
                name: "LastSeenAt",
                table: "sessions");

            migrationBuilder.AddColumn<DateTime>(
                name: "LastActivityAt",
                table: "sessions",
                type: "timestamp with time zone",
                nullable: true);
        }
    }
}
