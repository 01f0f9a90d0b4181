using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Server.Infrastructure.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class EmailSkeletons : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "EmailSkeletonIndex",
                table: "users",
                type: "BLOB",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_users_AppId_EmailSkeletonIndex",
                table: "users",
                columns: new[] { "AppId", "EmailSkeletonIndex" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_users_AppId_EmailSkeletonIndex",
                table: "users");

            migrationBuilder.DropColumn(
                name: "EmailSkeletonIndex",
                table: "users");
        }
    }
}
